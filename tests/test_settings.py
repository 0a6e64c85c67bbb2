"""Configuration: defaults, environment overrides, errors that name key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError, load_settings

PRODUCTION_SECRETS = {
    "RENKEI_CONFIG_OVERRIDE": str(PROJECT_ROOT / "tests" / "config" / "production.toml"),
    "RENKEI_ENV": "production",
    "RENKEI_PUBLIC_URL": "https://renkei.example-bank.jp",
    "RENKEI_PIN_PEPPER": "p" * 32,
    "RENKEI_SESSION_KEY": "s" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "RENKEI_SIGNING_KEYS_FILE": "/etc/renkei/signing-keys.json",
}


def test_the_shipped_file_holds_the_contract_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.env == "development"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.policy.identity_failures_before_lock == 3
    assert settings.policy.pin_failures_before_lock == 3
    assert settings.policy.phone_check_seconds == 120
    assert settings.policy.authorization_code_seconds == 60
    assert settings.policy.grant_max_days == 90 and settings.policy.grant_idle_days == 30
    assert settings.ivr.auth_numbers == tuple(f"+81500000000{i}" for i in range(1, 6))
    assert settings.database.url is None
    assert len(settings.maintenance["daily"]) == 2


def test_environment_variables_override_the_file() -> None:
    settings = load_settings(environ={
        "DATABASE_URL": "postgresql://db.internal/renkei",
        "RENKEI_PUBLIC_URL": "https://auth.example-bank.jp/",
        "RENKEI_AUTH_NUMBERS": "+815011112222, +815011113333",
        "SMTP_URL": "smtp://mail.internal:25",
        "TWILIO_AUTH_TOKEN": "abc",
    })
    assert settings.database.url == "postgresql://db.internal/renkei"
    assert settings.public_url == "https://auth.example-bank.jp"
    assert settings.ivr.auth_numbers == ("+815011112222", "+815011113333")
    assert settings.mail.smtp_url == "smtp://mail.internal:25"
    assert settings.ivr.twilio_auth_token == "abc"
    assert settings.secure_cookies


def test_renkei_config_names_another_file(tmp_path: Path) -> None:
    other = tmp_path / "bank.toml"
    other.write_text(DEFAULT_CONFIG.read_text().replace("pin_failures_before_lock = 3", "pin_failures_before_lock = 5"))
    assert load_settings(environ={"RENKEI_CONFIG": str(other)}).policy.pin_failures_before_lock == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(("identity_failures_before_lock = 3", "identity_failures_before_lock = 0"), "policy.identity_failures_before_lock must be a whole number >= 1", id="a zero lock limit names its key"),
        pytest.param(("phone_check_seconds = 120", 'phone_check_seconds = "120"'), "policy.phone_check_seconds must be a whole number", id="a quoted number names its key"),
        pytest.param(('matched_call = "reject"', 'matched_call = "hangup"'), "ivr.matched_call must be one of reject, say", id="an unknown choice lists the choices"),
        pytest.param(('"+815000000001", ', '"05000000001", '), "ivr.auth_numbers must be E.164", id="a domestic auth number is refused"),
        pytest.param(('public_url = "http://127.0.0.1:8000"', 'public_url = "127.0.0.1:8000"'), "public_url must be an absolute http(s) URL", id="a public url without scheme is refused"),
        pytest.param(('smtp_url = ""', 'smtp_url = "http://mail"'), "mail.smtp_url must be an smtp", id="an smtp url of another scheme is refused"),
        pytest.param(('closes = "17:00"', 'closes = "08:00"'), "help_desk.closes must be later than opens", id="a desk that closes before it opens"),
        pytest.param(('"12-31", "01-01"', '"12-32", "01-01"'), "help_desk.opens must be HH:MM", id="a closing day that is no date"),
        pytest.param(("phone_number_draws = 4", "phone_number_draws = 0"), "policy.phone_number_draws must be a whole number >= 1", id="no auth number at all"),
        pytest.param(("[policy]", "[policy\n"), "not valid TOML", id="broken toml says so"),
    ],
)
def test_a_bad_value_is_reported_with_its_key_and_file(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    bad = tmp_path / "bad.toml"
    text = DEFAULT_CONFIG.read_text()
    assert change[0] in text
    bad.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"RENKEI_CONFIG": str(bad)})
    assert str(bad) in str(raised.value) and message in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nowhere.toml: configuration file not found"):
        load_settings(environ={"RENKEI_CONFIG": str(tmp_path / "nowhere.toml")})


def test_production_starts_with_real_secrets() -> None:
    assert load_settings(environ=PRODUCTION_SECRETS).production


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        pytest.param("RENKEI_PIN_PEPPER", "dev-pin-pepper-not-secret", "secrets.pin_pepper", id="the development pin pepper is refused"),
        pytest.param("RENKEI_SESSION_KEY", "dev-session-key-not-secret", "secrets.session_key", id="the development session key is refused"),
        pytest.param("TWILIO_AUTH_TOKEN", "dev-twilio-auth-token-not-secret", "ivr.twilio_auth_token", id="the development twilio token is refused"),
        pytest.param("RENKEI_PIN_PEPPER", "short", "secrets.pin_pepper", id="a short pepper is refused"),
        pytest.param("RENKEI_PUBLIC_URL", "http://renkei.example-bank.jp", "must be https", id="plain http is refused"),
        pytest.param("RENKEI_SIGNING_KEYS_FILE", "", "signing_keys_file", id="generated development signing keys are refused"),
    ],
)
def test_production_refuses_development_defaults(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={**PRODUCTION_SECRETS, variable: value})


def test_production_refuses_a_movable_clock() -> None:
    with pytest.raises(ConfigError, match="RENKEI_CLOCK_FILE"):
        load_settings(environ={**PRODUCTION_SECRETS, "RENKEI_CLOCK_FILE": "/tmp/clock"})
