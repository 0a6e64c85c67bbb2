"""`renkei config check`: every problem of the configuration at once, each with the file or variable it came from."""

from __future__ import annotations

import json
from pathlib import Path

from server.settings import PROJECT_ROOT
from tests.cli.conftest import PRODUCTION, Renkei


def test_a_typo_a_bad_variable_and_a_weak_production_value_are_all_reported_with_their_sources(
    renkei: Renkei, tmp_path: Path,
) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[policy]\npin_failure_before_lock = 5\n\n[argon2]\nmemory_kib = 8\n", encoding="utf-8")
    production_file = PROJECT_ROOT / "tests" / "config" / "production.toml"
    result = renkei("config", "check", env={
        **PRODUCTION, "RENKEI_CONFIG_OVERRIDE": f"{production_file}:{site}",
        "RENKEI_SIGNING_KEYS_FILE": str(tmp_path / "keys.json"), "RENKEI_AUTH_NUMBERS": "+81-50-1111-0001",
    })
    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == sorted([
        f"{site}: policy.pin_failure_before_lock is not a known key (a typo?)",
        f"{site}: argon2.memory_kib with time_cost is below OWASP's minimum for argon2id (memory_kib 19456 with "
        "time_cost 2, or 47104/1, 12288/3, 9216/4, 7168/5)",
        "environment variable RENKEI_AUTH_NUMBERS: ivr.auth_numbers must be E.164 numbers such as +815000000001 "
        "(got ['+81-50-1111-0001'])",
        f"{tmp_path / 'keys.json'}: signing keys file not found (secrets.signing_keys_file); "
        "create the first key with: renkei keys init",
    ])
    assert "Traceback" not in result.stderr


def test_a_good_configuration_says_so_and_exits_0(renkei: Renkei, cheap_config: Path) -> None:
    result = renkei("config", "check")
    assert result.returncode == 0 and result.stdout == f"configuration OK (development): {cheap_config}\n"
    document = json.loads(renkei("config", "check", "--json").stdout)
    assert document == {"ok": True, "problems": [], "files": [str(cheap_config)], "env": "development"}


def test_bad_maintenance_rules_are_reported_with_the_file_and_table_that_hold_them(renkei: Renkei, tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[[maintenance.weekly]]\nstart = '01:00'\nend = '02:00'\n\n[[maintenance.daily]]\nstart = '01:00'\n"
                    "end = '01:30'\n\n[[maintenance.daily]]\nstart = '05:00'\nend = '4:00'\n", encoding="utf-8")
    result = renkei("config", "check", "--json", env={"RENKEI_CONFIG_OVERRIDE": str(site)})
    assert result.returncode == 1
    assert sorted(json.loads(result.stdout)["problems"]) == [
        f"{site}: maintenance.daily #2: end must be a time \"HH:MM\" from 00:00 to 24:00 (got '4:00')",
        f"{site}: maintenance.weekly is not a kind of rule (expected daily, nth_weekday, before_nth_sunday, yearly)",
    ]
