"""One frozen, typed Settings object, built once from config/ and the environment.

Components receive the part they read (``settings.policy``, ``settings.ivr``...);
tests build Settings with ``load_settings(environ={...})`` instead of patching
``os.environ``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "renkei.toml"

# Values that ship in config/renkei.toml for development. Production refuses them.
DEVELOPMENT_SECRETS = frozenset(
    {
        "dev-pin-pepper-not-secret",
        "dev-session-key-not-secret",
        "dev-twilio-auth-token-not-secret",
    }
)


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names key and file."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str | None
    pool_min: int
    pool_max: int
    acquire_timeout_seconds: float
    # A session connection straight to PostgreSQL for LISTEN and migrations, when ``url``
    # goes through a pooler in transaction mode (PgBouncer); None: ``url`` itself.
    direct_url: str | None = None
    # asyncpg's prepared statements per connection; 0 behind PgBouncer older than 1.21.
    statement_cache_size: int = 100


@dataclass(frozen=True)
class BankSettings:
    name_ja: str
    name_en: str
    desk_ja: str
    desk_en: str
    desk_phone: str
    desk_email: str
    desk_hours_ja: str
    desk_hours_en: str


@dataclass(frozen=True)
class PolicySettings:
    identity_failures_before_lock: int
    pin_failures_before_lock: int
    phone_check_seconds: int
    flow_idle_seconds: int
    authorization_code_seconds: int
    par_request_seconds: int
    access_token_seconds: int
    grant_max_days: int
    grant_idle_days: int
    linkable_account_types: tuple[int, ...]


@dataclass(frozen=True)
class IvrSettings:
    auth_numbers: tuple[str, ...]
    twilio_auth_token: str
    matched_call: str  # "reject" | "say"


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str | None
    sender: str


@dataclass(frozen=True)
class SecretSettings:
    pin_pepper: str
    session_key: str
    signing_keys_file: Path | None


@dataclass(frozen=True)
class Argon2Settings:
    memory_kib: int
    time_cost: int
    parallelism: int


@dataclass(frozen=True)
class StaffSettings:
    session_idle_seconds: int
    password_failures_before_lock: int
    password_lock_minutes: int


@dataclass(frozen=True)
class ThrottleSettings:
    """Failed identification attempts across all accounts (server.policy.throttles)."""

    ip_failures: int
    ip_window_seconds: int
    client_failures: int
    client_window_seconds: int


@dataclass(frozen=True)
class RetentionSettings:
    """How long housekeeping keeps rows nobody reads any more (server.policy.retention, [retention])."""

    every_seconds: int = 300  # one round every so often, done by one process at a time
    batch_size: int = 1000  # rows per DELETE, each its own short transaction
    access_token_days: int = 1  # after the token expired
    ended_grant_days: int = 30  # refresh tokens and used codes, after their grant was revoked or reached its end
    expired_request_days: int = 1  # unused authorization codes and pushed requests, after they expired
    late_call_hours: int = 24  # an open phone check answers a late call with B85 this long, then is voided
    flow_days: int = 7  # flows (and their phone checks) after they were last seen
    ivr_call_days: int = 30
    attempt_throttle_hours: int = 24  # after the window ended
    staff_session_days: int = 7  # after the session was last seen
    email_outbox_days: int = 30  # notices sent or given up on
    account_failure_days: int = 30  # Tokyo days of failure counts and locks kept before today


@dataclass(frozen=True)
class Settings:
    env: str
    public_url: str
    var_dir: Path
    config_file: Path
    database: DatabaseSettings
    bank: BankSettings
    policy: PolicySettings
    max_in_flight: int
    max_event_streams: int
    ivr: IvrSettings
    mail: MailSettings
    secrets: SecretSettings
    argon2: Argon2Settings
    staff: StaffSettings
    throttle: ThrottleSettings
    maintenance: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    # Development and tests only: a file holding an offset in seconds for the clock.
    clock_file: Path | None = None
    # Bearer token for /metrics from other hosts; unset: loopback only.
    metrics_token: str | None = None
    retention: RetentionSettings = field(default_factory=RetentionSettings)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def issuer(self) -> str:
        return self.public_url

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


class _Section:
    """Typed reads from one TOML table, with errors that name key and file."""

    def __init__(self, data: Mapping[str, Any], prefix: str, source: Path) -> None:
        self.data, self.prefix, self.source = data, prefix, source

    def _fail(self, key: str, wanted: str) -> ConfigError:
        value = self.data.get(key, "<missing>")
        return ConfigError(f"{self.source}: {self.prefix}{key} must be {wanted} (got {value!r})")

    def str(self, key: str, *, allow_empty: bool = False) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise self._fail(key, "a non-empty string" if not allow_empty else "a string")
        return value

    def int(self, key: str, *, minimum: int = 0) -> int:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self._fail(key, f"a whole number >= {minimum}")
        return value

    def float(self, key: str, *, minimum: float = 0.0) -> float:
        value = self.data.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= minimum:
            raise self._fail(key, f"a number > {minimum}")
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.data.get(key)
        if value not in choices:
            raise self._fail(key, "one of " + ", ".join(choices))
        return value

    def list_of(self, key: str, kind: type) -> tuple[Any, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, kind) for v in value):
            raise self._fail(key, f"a non-empty list of {kind.__name__}")
        return tuple(value)

    def table(self, key: str) -> _Section:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self._fail(key, "a table")
        return _Section(value, f"{self.prefix}{key}.", self.source)


# Environment variable -> (table, key) in the TOML document.
ENV_OVERRIDES: dict[str, tuple[str | None, str]] = {
    "RENKEI_ENV": (None, "env"),
    "RENKEI_PUBLIC_URL": (None, "public_url"),
    "RENKEI_VAR_DIR": (None, "var_dir"),
    "DATABASE_URL": ("database", "url"),
    "DATABASE_DIRECT_URL": ("database", "direct_url"),
    "TWILIO_AUTH_TOKEN": ("ivr", "twilio_auth_token"),
    "RENKEI_AUTH_NUMBERS": ("ivr", "auth_numbers"),
    "SMTP_URL": ("mail", "smtp_url"),
    "RENKEI_PIN_PEPPER": ("secrets", "pin_pepper"),
    "RENKEI_SESSION_KEY": ("secrets", "session_key"),
    "RENKEI_SIGNING_KEYS_FILE": ("secrets", "signing_keys_file"),
    "RENKEI_METRICS_TOKEN": (None, "metrics_token"),
}


def load_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Read the TOML file, apply environment overrides, validate, and freeze."""
    environ = os.environ if environ is None else environ
    source = config_file or Path(environ.get("RENKEI_CONFIG") or DEFAULT_CONFIG)
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{source}: configuration file not found (RENKEI_CONFIG)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    _apply_environment(document, environ)
    settings = _build(document, source, environ)
    _check_production(settings)
    _check_throttle_kept(settings)
    return settings


def _apply_environment(document: dict[str, Any], environ: Mapping[str, str]) -> None:
    for variable, (table, key) in ENV_OVERRIDES.items():
        if variable not in environ:
            continue
        value: Any = environ[variable]
        if variable == "RENKEI_AUTH_NUMBERS":
            value = [n.strip() for n in value.split(",") if n.strip()]
        target = document if table is None else document.setdefault(table, {})
        target[key] = value


def _build(document: dict[str, Any], source: Path, environ: Mapping[str, str]) -> Settings:
    top = _Section(document, "", source)
    env = top.choice("env", ("development", "production"))
    public_url = _public_url(top)
    var_dir = Path(top.str("var_dir"))
    if not var_dir.is_absolute():
        var_dir = PROJECT_ROOT / var_dir
    clock_file = environ.get("RENKEI_CLOCK_FILE")
    if clock_file and env == "production":
        raise ConfigError(f"{source}: RENKEI_CLOCK_FILE moves the clock and is refused in production")
    return Settings(
        env=env,
        public_url=public_url,
        var_dir=var_dir,
        config_file=source,
        database=_database(top.table("database")),
        bank=BankSettings(**{k: top.table("bank").str(k) for k in BankSettings.__dataclass_fields__}),
        policy=_policy(top.table("policy")),
        max_in_flight=top.table("admission").int("max_in_flight", minimum=1),
        max_event_streams=top.table("admission").int("max_event_streams", minimum=1),
        ivr=_ivr(top.table("ivr")),
        mail=_mail(top.table("mail")),
        secrets=_secrets(top.table("secrets")),
        argon2=_argon2(top.table("argon2")),
        staff=_staff(top.table("staff")),
        throttle=ThrottleSettings(**{k: top.table("throttle").int(k, minimum=1) for k in ThrottleSettings.__dataclass_fields__}),
        maintenance=_maintenance(document.get("maintenance", {}), source),
        clock_file=Path(clock_file) if clock_file else None,
        metrics_token=top.str("metrics_token", allow_empty=True) or None if "metrics_token" in document else None,
        retention=_retention(top.table("retention")),
    )


def _public_url(top: _Section) -> str:
    url = top.str("public_url").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise top._fail("public_url", "an absolute http(s) URL without query or fragment")
    return url


def _database(section: _Section) -> DatabaseSettings:
    pool_min = section.int("pool_min", minimum=1)
    pool_max = section.int("pool_max", minimum=pool_min)
    return DatabaseSettings(
        url=section.str("url", allow_empty=True) or None,
        pool_min=pool_min,
        pool_max=pool_max,
        acquire_timeout_seconds=section.float("acquire_timeout_seconds"),
        direct_url=section.str("direct_url", allow_empty=True) or None if "direct_url" in section.data else None,
        statement_cache_size=section.int("statement_cache_size") if "statement_cache_size" in section.data else 100,
    )


def _policy(section: _Section) -> PolicySettings:
    ints = {
        name: section.int(name, minimum=1)
        for name in PolicySettings.__dataclass_fields__
        if name != "linkable_account_types"
    }
    return PolicySettings(**ints, linkable_account_types=section.list_of("linkable_account_types", int))


def _ivr(section: _Section) -> IvrSettings:
    numbers = section.list_of("auth_numbers", str)
    for number in numbers:
        if not (number.startswith("+") and number[1:].isdigit() and 8 <= len(number) <= 16):
            raise section._fail("auth_numbers", "E.164 numbers such as +815000000001")
    return IvrSettings(
        auth_numbers=numbers,
        twilio_auth_token=section.str("twilio_auth_token"),
        matched_call=section.choice("matched_call", ("reject", "say")),
    )


def _mail(section: _Section) -> MailSettings:
    url = section.str("smtp_url", allow_empty=True) or None
    if url and urlsplit(url).scheme not in ("smtp", "smtps"):
        raise section._fail("smtp_url", "an smtp:// or smtps:// URL")
    return MailSettings(smtp_url=url, sender=section.str("sender"))


def _secrets(section: _Section) -> SecretSettings:
    keys_file = section.str("signing_keys_file", allow_empty=True)
    return SecretSettings(
        pin_pepper=section.str("pin_pepper"),
        session_key=section.str("session_key"),
        signing_keys_file=Path(keys_file) if keys_file else None,
    )


def _argon2(section: _Section) -> Argon2Settings:
    return Argon2Settings(
        memory_kib=section.int("memory_kib", minimum=8),
        time_cost=section.int("time_cost", minimum=1),
        parallelism=section.int("parallelism", minimum=1),
    )


def _staff(section: _Section) -> StaffSettings:
    return StaffSettings(
        session_idle_seconds=section.int("session_idle_seconds", minimum=60),
        password_failures_before_lock=section.int("password_failures_before_lock", minimum=1),
        password_lock_minutes=section.int("password_lock_minutes", minimum=1),
    )


def _retention(section: _Section) -> RetentionSettings:
    """Keys missing from an older configuration file keep their defaults."""
    return RetentionSettings(**{
        key: section.int(key, minimum=1)
        for key in RetentionSettings.__dataclass_fields__ if key in section.data
    })


def _maintenance(raw: Any, source: Path) -> dict[str, tuple[dict[str, Any], ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: maintenance must be a table of rule lists")
    rules: dict[str, tuple[dict[str, Any], ...]] = {}
    for kind, entries in raw.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"{source}: maintenance.{kind} must be a list of tables ([[maintenance.{kind}]])")
        rules[kind] = tuple(entries)
    return rules


def _check_throttle_kept(settings: Settings) -> None:
    """Retention must keep a throttle's slices while they still count (a window after they ended)."""
    kept = settings.retention.attempt_throttle_hours * 3600
    for key in ("ip_window_seconds", "client_window_seconds"):
        if getattr(settings.throttle, key) > kept:
            raise ConfigError(f"{settings.config_file}: throttle.{key} is longer than retention.attempt_throttle_hours "
                              "keeps its counts; lengthen attempt_throttle_hours or shorten the window")


def _check_production(settings: Settings) -> None:
    """Production refuses every development default secret and an insecure issuer."""
    if not settings.production:
        return
    in_use = {
        "secrets.pin_pepper (RENKEI_PIN_PEPPER)": settings.secrets.pin_pepper,
        "secrets.session_key (RENKEI_SESSION_KEY)": settings.secrets.session_key,
        "ivr.twilio_auth_token (TWILIO_AUTH_TOKEN)": settings.ivr.twilio_auth_token,
    }
    for key, value in in_use.items():
        if value in DEVELOPMENT_SECRETS or len(value) < 16:
            raise ConfigError(f"{settings.config_file}: {key} is a development default or too short; production refuses it")
    if settings.secrets.signing_keys_file is None:
        raise ConfigError(f"{settings.config_file}: secrets.signing_keys_file (RENKEI_SIGNING_KEYS_FILE) is required in production")
    if not settings.public_url.startswith("https://"):
        raise ConfigError(f"{settings.config_file}: public_url (RENKEI_PUBLIC_URL) must be https in production")
