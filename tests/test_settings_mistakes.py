"""Settings that catch mistakes: typos named, every problem at once, each blamed on the file or variable it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.maintenance import calendar_rules_from_settings
from server.policy.weak_settings import argon2_strong_enough
from server.settings import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError, load_settings, read_settings

OVERRIDE = PROJECT_ROOT / "tests" / "config" / "production.toml"
PRODUCTION = {
    "RENKEI_CONFIG_OVERRIDE": str(OVERRIDE),
    "RENKEI_ENV": "production",
    "RENKEI_PUBLIC_URL": "https://renkei.example-bank.jp",
    "RENKEI_PIN_PEPPERS": "2026a:" + "p" * 32,
    "RENKEI_SESSION_KEYS": "s" * 32,
    "TWILIO_AUTH_TOKENS": "t" * 32,
    "RENKEI_SIGNING_KEYS_FILE": "/etc/renkei/signing-keys.json",
}


def _file(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(environ: dict[str, str]) -> list[str]:
    return read_settings(environ=environ)[1]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param("[policy]\npin_failure_before_lock = 5\n", "policy.pin_failure_before_lock is not a known key",
                     id="a misspelt key is named"),
        pytest.param("[polcy]\npin_failures_before_lock = 5\n", "polcy is not a known section", id="a misspelt section is named"),
        pytest.param("metrics_tokn = 'x'\n", "metrics_tokn is not a known key", id="a misspelt top-level key is named"),
    ],
)
def test_a_typo_is_an_error_naming_it_and_its_file(tmp_path: Path, text: str, named: str) -> None:
    site = _file(tmp_path, text)
    problems = _problems({"RENKEI_CONFIG_OVERRIDE": str(site)})
    assert problems == [f"{site}: {named}" + problems[0].partition(named)[2]]


def test_every_problem_is_reported_at_once_each_blamed_on_its_source(tmp_path: Path) -> None:
    site = _file(tmp_path, "[policy]\nphone_check_seconds = 0\npin_failure_before_lock = 5\n")
    problems = _problems({"RENKEI_CONFIG_OVERRIDE": str(site), "RENKEI_PUBLIC_URL": "renkei.example.jp",
                          "RENKEI_AUTH_NUMBERS": "05000000001"})
    assert sorted(problems) == sorted([
        f"{site}: policy.phone_check_seconds must be a whole number >= 1 (got 0)",
        f"{site}: policy.pin_failure_before_lock is not a known key (a typo?)",
        "environment variable RENKEI_PUBLIC_URL: public_url must be an absolute http(s) URL without query or fragment "
        "(got 'renkei.example.jp')",
        "environment variable RENKEI_AUTH_NUMBERS: ivr.auth_numbers must be E.164 numbers such as +815000000001 "
        "(got ['05000000001'])",
    ])
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"RENKEI_CONFIG_OVERRIDE": str(site)})
    assert len(raised.value.problems) == 2


def test_an_override_file_changes_only_what_it_names(tmp_path: Path) -> None:
    site = _file(tmp_path, "[policy]\npin_failures_before_lock = 5\n\n[[maintenance.daily]]\nstart = '01:00'\nend = '01:30'\n")
    settings = load_settings(environ={"RENKEI_CONFIG_OVERRIDE": str(site)})
    assert settings.policy.pin_failures_before_lock == 5
    assert settings.policy.identity_failures_before_lock == 3  # from the shipped file, untouched
    assert settings.maintenance["daily"] == ({"start": "01:00", "end": "01:30"},)  # a rule list is replaced whole
    assert settings.config_file == DEFAULT_CONFIG and settings.override_files == (site,)


def test_later_override_files_win_and_are_blamed(tmp_path: Path) -> None:
    first = _file(tmp_path, "[staff]\npassword_lock_minutes = 30\n", "first.toml")
    second = _file(tmp_path, "[staff]\npassword_lock_minutes = 0\n", "second.toml")
    problems = _problems({"RENKEI_CONFIG_OVERRIDE": f"{first}:{second}"})
    assert problems == [f"{second}: staff.password_lock_minutes must be a whole number >= 1 (got 0)"]


def test_a_missing_override_file_is_named(tmp_path: Path) -> None:
    assert _problems({"RENKEI_CONFIG_OVERRIDE": str(tmp_path / "nowhere.toml")}) == [
        f"{tmp_path / 'nowhere.toml'}: configuration file not found (RENKEI_CONFIG, RENKEI_CONFIG_OVERRIDE)"]


def test_production_with_strong_values_starts() -> None:
    settings = load_settings(environ=PRODUCTION)
    assert settings.secrets.pin_pepper_id == "2026a" and settings.secrets.session_key == "s" * 32


@pytest.mark.parametrize(
    ("change", "blamed"),
    [
        pytest.param({"RENKEI_METRICS_TOKEN": "x"}, "environment variable RENKEI_METRICS_TOKEN: metrics_token must be at least 32",
                     id="a one-character metrics token"),
        pytest.param({"RENKEI_AUTH_NUMBERS": "+815000000001"}, "environment variable RENKEI_AUTH_NUMBERS: ivr.auth_numbers holds the development numbers",
                     id="the development auth numbers"),
        pytest.param({"RENKEI_PIN_PEPPERS": "a:" + "s" * 32}, "environment variable RENKEI_PIN_PEPPERS: secrets.pin_peppers holds a pepper equal to another key",
                     id="a pepper equal to the session key"),
        pytest.param({"RENKEI_PIN_PEPPERS": f"a:{'t' * 32},b:{'q' * 32}"}, "secrets.pin_peppers holds a pepper equal to another key",
                     id="a pepper equal to the twilio token"),
        pytest.param({"RENKEI_PIN_PEPPERS": f"a:{'q' * 32},b:{'q' * 32}"}, "secrets.pin_peppers holds a pepper equal to another key",
                     id="two peppers alike"),
        pytest.param({"RENKEI_SESSION_KEYS": f"{'s' * 32},dev-session-key-not-secret"}, "secrets.session_keys holds a development default",
                     id="a development key among the session keys"),
        pytest.param({"TWILIO_AUTH_TOKEN": "short"}, "TWILIO_AUTH_TOKENS and TWILIO_AUTH_TOKEN are both set", id="both twilio variables"),
    ],
)
def test_production_refuses_a_weak_value_blaming_its_variable(change: dict[str, str], blamed: str) -> None:
    problems = _problems({**PRODUCTION, **change})
    assert any(problem.startswith(blamed) or blamed in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("text", "blamed", "in_site"),
    [
        pytest.param("[argon2]\nmemory_kib = 8\ntime_cost = 2\nparallelism = 1\n", "argon2.memory_kib with time_cost is below OWASP",
                     True, id="argon2 with 8 KiB"),
        # The missing value is blamed where smtp_url was left empty: the shipped defaults.
        pytest.param("[mail]\nenabled = true\n", "mail.smtp_url is required in production", False, id="mail on without an SMTP server"),
    ],
)
def test_production_refuses_weak_values_in_a_file(tmp_path: Path, text: str, blamed: str, in_site: bool) -> None:
    site = _file(tmp_path, text)
    problems = _problems({**PRODUCTION, "RENKEI_CONFIG_OVERRIDE": f"{OVERRIDE}:{site}"})
    assert [problem for problem in problems if blamed in problem] == problems
    assert problems[0].startswith(f"{site if in_site else DEFAULT_CONFIG}: ")


def test_development_accepts_what_production_refuses(tmp_path: Path) -> None:
    site = _file(tmp_path, "[argon2]\nmemory_kib = 64\ntime_cost = 1\nparallelism = 1\n")
    assert _problems({"RENKEI_CONFIG_OVERRIDE": str(site), "RENKEI_METRICS_TOKEN": "x"}) == []


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "strong"),
    [(19456, 2, True), (47104, 1, True), (12288, 3, True), (9216, 4, True), (7168, 5, True), (65536, 3, True),
     (19455, 2, False), (19456, 1, False), (8, 10, False), (7168, 4, False)],
)
def test_argon2_against_owasp(memory_kib: int, time_cost: int, strong: bool) -> None:
    assert argon2_strong_enough(memory_kib, time_cost) is strong


def test_old_single_keys_are_read_as_lists_of_one(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'session_keys = ["dev-session-key-not-secret"]', 'session_key = "an-old-style-session-key"').replace(
        'pin_peppers = ["0:dev-pin-pepper-not-secret"]', 'pin_pepper = "an-old-style-pepper"')
    settings = load_settings(environ={"RENKEI_SESSION_KEY": "from-the-environment"}, config_file=_file(tmp_path, text))
    assert settings.secrets.session_keys == ("from-the-environment",)
    assert settings.secrets.pin_peppers == (("0", "an-old-style-pepper"),)


def test_both_the_list_and_the_single_variable_is_an_error() -> None:
    assert _problems({"RENKEI_SESSION_KEYS": "a,b", "RENKEI_SESSION_KEY": "c"}) == [
        "environment variables RENKEI_SESSION_KEYS and RENKEI_SESSION_KEY are both set; keep RENKEI_SESSION_KEYS only"]


def test_production_serves_sandbox_apps_only_when_the_setting_says_so(tmp_path: Path) -> None:
    assert load_settings(environ={}).sandbox_apps_allowed
    assert not load_settings(environ=PRODUCTION).sandbox_apps_allowed
    allowed = _file(tmp_path, "[clients]\nsandbox_in_production = true\n")
    assert load_settings(environ={**PRODUCTION, "RENKEI_CONFIG_OVERRIDE": f"{OVERRIDE}:{allowed}"}).sandbox_apps_allowed


def _problems_with_rules(environ: dict[str, str]) -> list[str]:
    """Every problem the server would refuse to start with: the settings', then the [[maintenance.*]] rules'."""
    settings, problems = read_settings(environ=environ)
    try:
        calendar_rules_from_settings(settings)
    except ConfigError as error:
        problems += error.problems
    return problems


GOOD_DAILY = "[[maintenance.daily]]\nstart = '01:00'\nend = '01:30'\n\n"
BAD_DAILY = "[[maintenance.daily]]\nstart = '05:00'\nend = '4:00'\n\n"
BAD_END = "end must be a time \"HH:MM\" from 00:00 to 24:00 (got '4:00')"


# base: the shipped file with (old, new) replaced; files: the override files; wanted: (file number, problem),
# 0 the base file, 1 the first override file...
@pytest.mark.parametrize(
    ("base", "files", "wanted"),
    [
        pytest.param(None, [GOOD_DAILY + BAD_DAILY], [(1, f"maintenance.daily #2: {BAD_END}")],
                     id="a bad rule in the override file"),
        pytest.param(None, ["[[maintenance.weekly]]\nstart = '01:00'\nend = '02:00'\n"],
                     [(1, "maintenance.weekly is not a kind of rule (expected daily, nth_weekday, before_nth_sunday, yearly)")],
                     id="an unknown kind of rule in the override file"),
        pytest.param(None, ["[[maintenance.yearly]]\nmonth = 2\ndays = [30]\nstart = '00:00'\nend = '08:00'\n"],
                     [(1, "maintenance.yearly #1: days (30,) do not all exist in month 2")],
                     id="a rule the calendar refuses, in the override file"),
        pytest.param(None, ["[maintenance]\ndaily = '04:00'\n"],
                     [(1, "maintenance.daily must be a list of tables ([[maintenance.daily]]) (got '04:00')")],
                     id="a kind that is not a list of tables, in the override file"),
        pytest.param(('end = "04:05"', 'end = "4:05pm"'), [GOOD_DAILY],
                     [], id="an override replacing the base file's bad list whole"),
        pytest.param(('month = 1\ndays = [1, 2, 3]\nstart = "19:00"', 'month = 13\ndays = [1, 2, 3]\nstart = "19:00"'),
                     [GOOD_DAILY], [(0, "maintenance.yearly #2: month must be a whole number from 1 to 12 (got 13)")],
                     id="a bad rule the override does not touch stays the base file's"),
        pytest.param(('end = "04:05"', 'end = "4:05pm"'), ["[[maintenance.weekly]]\nstart = '01:00'\nend = '02:00'\n"],
                     [(0, "maintenance.daily #2: end must be a time \"HH:MM\" from 00:00 to 24:00 (got '4:05pm')"),
                      (1, "maintenance.weekly is not a kind of rule (expected daily, nth_weekday, before_nth_sunday, yearly)")],
                     id="bad rules in both files are all reported, each with its own file"),
        pytest.param(None, [BAD_DAILY, GOOD_DAILY + "[policy]\npin_failures_before_lock = 0\n\n" + BAD_DAILY],
                     [(2, f"maintenance.daily #2: {BAD_END}"), (2, "policy.pin_failures_before_lock must be a whole number >= 1 (got 0)")],
                     id="the later override file wins and is blamed, with its other mistakes"),
    ],
)
def test_a_bad_maintenance_rule_is_blamed_on_the_file_that_holds_it(
    tmp_path: Path, base: tuple[str, str] | None, files: list[str], wanted: list[tuple[int, str]],
) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert base is None or base[0] in text
    paths = [_file(tmp_path, text.replace(*base) if base else text, "base.toml")]
    paths += [_file(tmp_path, body, f"site{number}.toml") for number, body in enumerate(files, start=1)]
    problems = _problems_with_rules({"RENKEI_CONFIG": str(paths[0]), "RENKEI_CONFIG_OVERRIDE": ":".join(map(str, paths[1:]))})
    assert sorted(problems) == sorted(f"{paths[number]}: {problem}" for number, problem in wanted)
