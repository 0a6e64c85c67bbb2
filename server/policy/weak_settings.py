"""What production refuses: development values, and secrets or costs too weak to guard customers.

Pure: it reads a Settings object and answers (dotted key, problem) pairs; the
loader says where each value came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.settings import Settings

# Values that ship in config/renkei.toml for development.
DEVELOPMENT_SECRETS = frozenset({"dev-pin-pepper-not-secret", "dev-session-key-not-secret", "dev-twilio-auth-token-not-secret"})
DEVELOPMENT_AUTH_NUMBERS = frozenset(f"+81500000000{n}" for n in range(1, 6))
MIN_SECRET_CHARACTERS = 16
MIN_METRICS_TOKEN_CHARACTERS = 32
# OWASP's argon2id configurations (Password Storage Cheat Sheet), all with parallelism 1:
# (memory in KiB, iterations). Each trades memory for time at the same defence.
OWASP_ARGON2 = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


def argon2_strong_enough(memory_kib: int, time_cost: int) -> bool:
    """At least one of OWASP's configurations in both memory and iterations."""
    return any(memory_kib >= memory and time_cost >= iterations for memory, iterations in OWASP_ARGON2)


def _weak_secrets(settings: Settings) -> Iterator[tuple[str, str]]:
    lists = {"secrets.session_keys": settings.secrets.session_keys, "ivr.twilio_auth_tokens": settings.ivr.twilio_auth_tokens,
             "secrets.pin_peppers": tuple(secret for _, secret in settings.secrets.pin_peppers)}
    for key, values in lists.items():
        if any(value in DEVELOPMENT_SECRETS or len(value) < MIN_SECRET_CHARACTERS for value in values):
            yield key, f"holds a development default or a value under {MIN_SECRET_CHARACTERS} characters; production refuses it"
    others = {*settings.secrets.session_keys, *settings.ivr.twilio_auth_tokens}
    peppers = [secret for _, secret in settings.secrets.pin_peppers]
    if any(secret in others or peppers.count(secret) > 1 for secret in peppers):
        yield "secrets.pin_peppers", "holds a pepper equal to another key (a session key, a Twilio token or another pepper)"


def production_problems(settings: Settings) -> Iterator[tuple[str, str]]:
    """Every reason production refuses ``settings`` (nothing when it is not production)."""
    if not settings.production:
        return
    yield from _weak_secrets(settings)
    if settings.secrets.signing_keys_file is None:
        yield "secrets.signing_keys_file", "is required in production (create the keys with: renkei keys init)"
    if not settings.public_url.startswith("https://"):
        yield "public_url", "must be https in production"
    if not argon2_strong_enough(settings.argon2.memory_kib, settings.argon2.time_cost):
        yield "argon2.memory_kib", ("with time_cost is below OWASP's minimum for argon2id (memory_kib 19456 with time_cost 2, "
                         "or 47104/1, 12288/3, 9216/4, 7168/5)")
    if settings.metrics_token is not None and len(settings.metrics_token) < MIN_METRICS_TOKEN_CHARACTERS:
        yield "metrics_token", f"must be at least {MIN_METRICS_TOKEN_CHARACTERS} characters in production"
    if DEVELOPMENT_AUTH_NUMBERS & set(settings.ivr.auth_numbers):
        yield "ivr.auth_numbers", "holds the development numbers (+815000000001...); production needs the bank's own"
    if settings.mail.enabled and not settings.mail.smtp_url:
        yield "mail.smtp_url", "is required in production (or say [mail] enabled = false: no completion notices)"
