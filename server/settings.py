"""One frozen, typed Settings object, built once from config/ and the environment.

Components receive the part they read (``settings.policy``, ``settings.ivr``...);
tests build Settings with ``load_settings(environ={...})`` instead of patching
``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server.config_sources import ENV_OVERRIDES, ConfigError, Section as _Section, Sources, read_sources, unknown_keys
from server.policy.help_desk import DeskHours
from server.policy.weak_settings import DEVELOPMENT_SECRETS, production_problems

__all__ = ["ENV_OVERRIDES", "DEVELOPMENT_SECRETS", "ConfigError", "Settings", "load_settings", "read_settings"]

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def shipped(folder: str) -> Path:
    """sql/ or config/: inside the package when installed from a wheel (setup.py), at the top of a git checkout."""
    inside = PACKAGE_DIR / folder
    return inside if inside.is_dir() else PROJECT_ROOT / folder


DEFAULT_CONFIG = shipped("config") / "renkei.toml"
# A relative var_dir: beside the code in a git checkout, in the working directory (the service's) when installed.
RELATIVE_TO = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path.cwd()


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
    # Longest a statement may run on a pooled connection (PostgreSQL's statement_timeout); 0: not sent.
    statement_timeout_seconds: float = 30.0
    # How long a start keeps trying an unreachable PostgreSQL (with backoff) before it gives up in one line.
    connect_retry_seconds: float = 30.0


@dataclass(frozen=True)
class ServerSettings:
    """How a server process stops ([server])."""

    # After SIGTERM, requests in flight have this long in all to finish; then the process exits.
    shutdown_grace_seconds: float = 10.0
    # Part of the grace: how long a draining process still listens (answering /readyz with 503)
    # so that a load balancer checking /readyz sees it leave before its port closes.
    drain_seconds: float = 2.0


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
    # Auth numbers a flow may draw on screen ④ (the first and each 新しい番号を表示する) before it
    # must start again from ①: one customer cannot use up the pool.
    phone_number_draws: int = 4


@dataclass(frozen=True)
class IvrSettings:
    auth_numbers: tuple[str, ...]
    # The first is Twilio's current auth token; the others (the previous one during a rotation) are accepted too.
    twilio_auth_tokens: tuple[str, ...]
    matched_call: str  # "reject" | "say"

    @property
    def twilio_auth_token(self) -> str:
        return self.twilio_auth_tokens[0]


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str | None
    sender: str
    enabled: bool = True  # false: no completion notices at all (production then needs no SMTP_URL)


@dataclass(frozen=True)
class SecretSettings:
    # (id, secret): the first peppers new PIN hashes; a stored hash names the id it was made with.
    pin_peppers: tuple[tuple[str, str], ...]
    # The first signs CSRF tokens, staff session MACs and DPoP nonces; all of them verify.
    session_keys: tuple[str, ...]
    signing_keys_file: Path | None

    @property
    def pin_pepper(self) -> str:
        return self.pin_peppers[0][1]

    @property
    def pin_pepper_id(self) -> str:
        return self.pin_peppers[0][0]

    @property
    def session_key(self) -> str:
        return self.session_keys[0]


@dataclass(frozen=True)
class ClientSettings:
    # Production serves sandbox apps (client secret, loopback http redirects) only when this says so.
    sandbox_in_production: bool = False


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
    unlock_approval: bool = False  # 役席承認: a supervisor approves each lift of a lock


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
class HelpDeskSettings:
    """When the help desk answers ([help_desk]; server.policy.help_desk adds weekends and public holidays)."""

    opens: str = "09:00"
    closes: str = "17:00"
    closed_dates: tuple[str, ...] = ("12-31", "01-01", "01-02", "01-03")  # MM-DD, every year

    @property
    def hours(self) -> DeskHours:
        return DeskHours(time.fromisoformat(self.opens), time.fromisoformat(self.closes),
                         frozenset((int(d[:2]), int(d[3:])) for d in self.closed_dates))


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
    # Per kind of maintenance rule, the file that wrote its list (an override replaces a list whole).
    maintenance_sources: Mapping[str, str] = field(default_factory=dict)
    # Development and tests only: a file holding an offset in seconds for the clock.
    clock_file: Path | None = None
    # Bearer token for /metrics from other hosts; unset: loopback only.
    metrics_token: str | None = None
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    clients: ClientSettings = field(default_factory=ClientSettings)
    # Files laid over config_file (RENKEI_CONFIG_OVERRIDE), in order.
    override_files: tuple[Path, ...] = ()
    log_level: str = "info"  # debug | info | warning | error

    @property
    def sandbox_apps_allowed(self) -> bool:
        return not self.production or self.clients.sandbox_in_production
    help_desk: HelpDeskSettings = field(default_factory=HelpDeskSettings)
    server: ServerSettings = field(default_factory=ServerSettings)

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


def config_files(environ: Mapping[str, str], config_file: Path | None = None) -> tuple[Path, ...]:
    """The file RENKEI_CONFIG names (or the shipped defaults), then each RENKEI_CONFIG_OVERRIDE file in order."""
    base = config_file or Path(environ.get("RENKEI_CONFIG") or DEFAULT_CONFIG)
    overrides = [Path(name) for name in environ.get("RENKEI_CONFIG_OVERRIDE", "").split(os.pathsep) if name.strip()]
    return (base, *overrides)


def load_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Read the TOML files, apply environment overrides, validate, and freeze; ConfigError lists every problem."""
    settings, problems = read_settings(environ, config_file)
    if problems or settings is None:
        raise ConfigError(*problems)
    return settings


def read_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> tuple[Settings | None, list[str]]:
    """The settings as the server would build them, and every problem found (each naming where its value came from)."""
    environ = os.environ if environ is None else environ
    sources = read_sources(config_files(environ, config_file), environ)
    if sources.problems:  # a file missing or not TOML: nothing more can be said about its values
        return None, list(sources.problems.values())
    read: set[str] = set()
    settings = _build(_Section(sources.document, "", sources, read), environ)
    for dotted, is_table in unknown_keys(sources.document, read):
        sources.problem(dotted, "is not a known section" if is_table else "is not a known key (a typo?)")
    for dotted, problem in production_problems(settings):
        sources.problem(dotted, problem)
    _check_throttle_kept(settings, sources)
    return settings, list(sources.problems.values())


LOG_LEVELS = ("debug", "info", "warning", "error")


def _build(top: _Section, environ: Mapping[str, str]) -> Settings:
    env = top.choice("env", ("development", "production"))
    var_dir = Path(top.str("var_dir"))
    clock_file = environ.get("RENKEI_CLOCK_FILE")
    if clock_file and env == "production":
        top.sources.problem("env", "is production, where RENKEI_CLOCK_FILE (it moves the clock) is refused")
    admission, metrics_token = top.table("admission"), top.str("metrics_token", allow_empty=True, default=None)
    maintenance = _maintenance(top)
    return Settings(
        env=env,
        public_url=_public_url(top),
        var_dir=var_dir if var_dir.is_absolute() else RELATIVE_TO / var_dir,
        config_file=top.sources.files[0],
        database=_database(top.table("database")),
        bank=BankSettings(**{k: top.table("bank").str(k) for k in BankSettings.__dataclass_fields__}),
        policy=_policy(top.table("policy")),
        max_in_flight=admission.int("max_in_flight", minimum=1),
        max_event_streams=admission.int("max_event_streams", minimum=1),
        ivr=_ivr(top.table("ivr")),
        mail=_mail(top.table("mail")),
        secrets=_secrets(top.table("secrets")),
        argon2=_argon2(top.table("argon2")),
        staff=_staff(top.table("staff")),
        throttle=ThrottleSettings(**{k: top.table("throttle").int(k, minimum=1) for k in ThrottleSettings.__dataclass_fields__}),
        maintenance=maintenance,
        maintenance_sources={kind: top.sources.origin(f"maintenance.{kind}") for kind in maintenance},
        clock_file=Path(clock_file) if clock_file else None,
        metrics_token=metrics_token or None,
        retention=_retention(top.table("retention")),
        clients=ClientSettings(sandbox_in_production=top.table("clients").bool("sandbox_in_production", default=False)),
        override_files=top.sources.files[1:],
        log_level=top.choice("log_level", LOG_LEVELS) if "log_level" in top.data else top.str("log_level", default="info"),
        help_desk=_help_desk(top.table("help_desk")),
        server=_server(top.table("server")),
    )


def _public_url(top: _Section) -> str:
    url = top.str("public_url").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        top.fail("public_url", "an absolute http(s) URL without query or fragment")
    return url


def _database(section: _Section) -> DatabaseSettings:
    pool_min = section.int("pool_min", minimum=1)
    pool_max = section.int("pool_max", minimum=pool_min)
    return DatabaseSettings(
        url=section.str("url", allow_empty=True) or None,
        pool_min=pool_min,
        pool_max=pool_max,
        acquire_timeout_seconds=section.float("acquire_timeout_seconds"),
        direct_url=section.str("direct_url", allow_empty=True, default=None) or None,
        statement_cache_size=section.int("statement_cache_size", default=100),
        statement_timeout_seconds=section.number("statement_timeout_seconds", default=30.0),
        connect_retry_seconds=section.number("connect_retry_seconds", default=30.0),
    )


def _server(section: _Section) -> ServerSettings:
    """Keys missing from an older configuration file keep their defaults."""
    defaults = ServerSettings()
    server = ServerSettings(**{key: section.number(key, default=getattr(defaults, key)) for key in ServerSettings.__dataclass_fields__})
    if server.drain_seconds >= server.shutdown_grace_seconds:
        section.fail("drain_seconds", f"less than shutdown_grace_seconds ({server.shutdown_grace_seconds:g})")
    return server


def _policy(section: _Section) -> PolicySettings:
    ints = {
        name: section.int(name, minimum=1)
        for name in PolicySettings.__dataclass_fields__
        if name not in ("linkable_account_types", "phone_number_draws")
    }
    return PolicySettings(**ints, linkable_account_types=section.list_of("linkable_account_types", int),
                          phone_number_draws=section.int("phone_number_draws", minimum=1, default=PolicySettings.phone_number_draws))


def _ivr(section: _Section) -> IvrSettings:
    numbers = section.list_of("auth_numbers", str)
    if not all(n.startswith("+") and n[1:].isdigit() and 8 <= len(n) <= 16 for n in numbers):
        section.fail("auth_numbers", "E.164 numbers such as +815000000001")
    return IvrSettings(
        auth_numbers=numbers,
        twilio_auth_tokens=_secret_list(section, "twilio_auth_tokens"),
        matched_call=section.choice("matched_call", ("reject", "say")),
    )


def _mail(section: _Section) -> MailSettings:
    url = section.str("smtp_url", allow_empty=True) or None
    if url and urlsplit(url).scheme not in ("smtp", "smtps"):
        section.fail("smtp_url", "an smtp:// or smtps:// URL")
    return MailSettings(smtp_url=url, sender=section.str("sender"), enabled=section.bool("enabled", default=True))


def _secret_list(section: _Section, key: str) -> tuple[str, ...]:
    values = section.list_of(key, str)
    if not all(value.strip() for value in values):
        section.fail(key, "a list of non-empty secrets")
    return values or ("",)


def _peppers(section: _Section) -> tuple[tuple[str, str], ...]:
    """ID:SECRET entries; the id is stored beside each PIN hash, so ids never repeat."""
    peppers = tuple(tuple(entry.partition(":")[::2]) for entry in _secret_list(section, "pin_peppers"))
    ids = [pepper_id for pepper_id, _ in peppers]
    if not all(i and i.replace("-", "").replace("_", "").isalnum() and len(i) <= 16 and s for i, s in peppers):
        section.fail("pin_peppers", "a list of ID:SECRET (an id of letters, digits, - or _, at most 16)")
    elif len(set(ids)) != len(ids):
        section.fail("pin_peppers", "a list of ID:SECRET with distinct ids")
    return peppers or (("0", ""),)  # type: ignore[return-value]


def _secrets(section: _Section) -> SecretSettings:
    keys_file = section.str("signing_keys_file", allow_empty=True)
    return SecretSettings(
        pin_peppers=_peppers(section),
        session_keys=_secret_list(section, "session_keys"),
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
        unlock_approval=section.bool("unlock_approval", default=False),
    )


def _help_desk(section: _Section) -> HelpDeskSettings:
    """Keys missing from an older configuration file keep their defaults (the manual's hours)."""
    defaults = HelpDeskSettings()
    opens, closes = (section.str(key, default=getattr(defaults, key)) for key in ("opens", "closes"))
    dates = section.list_of("closed_dates", str) if "closed_dates" in section.data else defaults.closed_dates
    desk = HelpDeskSettings(opens, closes, dates)
    try:
        hours = desk.hours
        for month, day in hours.closed_dates:
            date(2000, month, day)  # a leap year: 02-29 is a date
    except ValueError:
        section.fail("opens", "HH:MM, with closes HH:MM and closed_dates as MM-DD")
        return defaults
    if hours.opens >= hours.closes:
        section.fail("closes", "later than opens")
        return defaults
    return desk


def _retention(section: _Section) -> RetentionSettings:
    """Keys missing from an older configuration file keep their defaults."""
    defaults = RetentionSettings()
    return RetentionSettings(**{
        key: section.int(key, minimum=1, default=getattr(defaults, key)) for key in RetentionSettings.__dataclass_fields__
    })


def _maintenance(top: _Section) -> dict[str, tuple[dict[str, Any], ...]]:
    """The rule lists as written; server.maintenance checks each rule's keys."""
    section = top.table("maintenance", whole=True)
    rules: dict[str, tuple[dict[str, Any], ...]] = {}
    for kind, entries in section.data.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            section.fail(kind, f"a list of tables ([[maintenance.{kind}]])")
            continue
        rules[kind] = tuple(entries)
    return rules


def _check_throttle_kept(settings: Settings, sources: Sources) -> None:
    """Retention must keep a throttle's slices while they still count (a window after they ended)."""
    kept = settings.retention.attempt_throttle_hours * 3600
    for key in ("ip_window_seconds", "client_window_seconds"):
        if getattr(settings.throttle, key) > kept:
            sources.problem(f"throttle.{key}", "is longer than retention.attempt_throttle_hours keeps its counts; "
                            "lengthen attempt_throttle_hours or shorten the window")
