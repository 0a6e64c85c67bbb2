"""[server] (how a process stops) and the [database] timeouts: typed, checked, defaults when absent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import DEFAULT_CONFIG, ConfigError, ServerSettings, load_settings
from tests.config_files import config_with_section


def config_with(tmp_path: Path, server: str | None) -> Path:
    return config_with_section(tmp_path, "server", server)


def test_the_shipped_file_holds_the_documented_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.server == ServerSettings(shutdown_grace_seconds=10, drain_seconds=2)
    assert (settings.database.statement_timeout_seconds, settings.database.connect_retry_seconds) == (30, 30)


def test_a_file_without_the_section_keeps_the_defaults(tmp_path: Path) -> None:
    assert load_settings(environ={}, config_file=config_with(tmp_path, None)).server == ServerSettings()


@pytest.mark.parametrize(("server", "named"), [
    ("shutdown_grace_seconds = 5\ndrain_seconds = 5", "server.drain_seconds must be less than shutdown_grace_seconds (5)"),
    ("shutdown_grace_seconds = -1", "server.shutdown_grace_seconds must be a number >= 0"),
    ('drain_seconds = "2"', "server.drain_seconds must be a number >= 0"),
])
def test_a_wrong_value_is_refused_by_name(tmp_path: Path, server: str, named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings(environ={}, config_file=config_with(tmp_path, server))
