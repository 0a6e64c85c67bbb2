"""Run the real `renkei` command in a subprocess, on the test database, with cheap argon2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from server.clock import FrozenClock, write_clock_offset
from server.settings import DEFAULT_CONFIG, ENV_OVERRIDES, PROJECT_ROOT

# What production refuses to start without: long secrets, a key file, an https issuer, OWASP's argon2,
# the bank's own auth numbers, and mail configured or turned off.
PRODUCTION = {
    "RENKEI_CONFIG_OVERRIDE": str(PROJECT_ROOT / "tests" / "config" / "production.toml"),
    "RENKEI_ENV": "production",
    "RENKEI_PUBLIC_URL": "https://renkei.example.jp",
    "RENKEI_PIN_PEPPER": "a-production-pepper-for-tests-only",
    "RENKEI_SESSION_KEY": "a-production-session-key-for-tests",
    "TWILIO_AUTH_TOKEN": "a-production-twilio-token-for-tests",
    "RENKEI_SIGNING_KEYS_FILE": "signing-keys.json",
}

Renkei = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def cheap_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config/renkei.toml with cheap argon2: the cost is configuration, the code path is the same."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^memory_kib = \d+", "memory_kib = 64", text)
    text = re.sub(r"(?m)^time_cost = \d+", "time_cost = 1", text)
    path = tmp_path_factory.mktemp("config") / "renkei.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _clean_environment() -> dict[str, str]:
    """This process's environment without any Renkei setting of the developer's shell."""
    ours = {*ENV_OVERRIDES, "RENKEI_CONFIG", "RENKEI_CONFIG_OVERRIDE", "RENKEI_CLOCK_FILE"}
    return {key: value for key, value in os.environ.items() if key not in ours}


@pytest.fixture
def renkei(database_url: str, cheap_config: Path) -> Renkei:
    """``renkei(*args, stdin=..., env=...)``: run the command; the completed process."""

    def run(*args: str, stdin: str | None = None, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environ = {**_clean_environment(), "DATABASE_URL": database_url, "RENKEI_CONFIG": str(cheap_config),
                   "RENKEI_ENV": "development", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "server.cli", *args], input=stdin, capture_output=True, text=True,
            env=environ, cwd=PROJECT_ROOT, timeout=120,
        )

    return run


@pytest.fixture
def as_of(tmp_path: Path, clock: FrozenClock) -> dict[str, str]:
    """The command's clock set to the test's (token expiry checks and a secret's overlap start at the server's now)."""
    clock_file = tmp_path / "clock"
    write_clock_offset(clock_file, clock.now())
    return {"RENKEI_CLOCK_FILE": str(clock_file)}
