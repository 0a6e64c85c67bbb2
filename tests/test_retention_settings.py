"""[retention] in the configuration: typed, checked, and optional in an older file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import DEFAULT_CONFIG, ConfigError, RetentionSettings, load_settings
from tests.config_files import config_with_section


def config_with(tmp_path: Path, retention: str | None) -> Path:
    return config_with_section(tmp_path, "retention", retention)


def test_the_shipped_file_holds_every_retention_key_at_its_default() -> None:
    assert load_settings(environ={}).retention == RetentionSettings()
    shipped = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert all(re.search(rf"(?m)^{key} = ", shipped) for key in RetentionSettings.__dataclass_fields__)


def test_a_file_without_the_section_keeps_the_defaults_and_a_key_given_counts(tmp_path: Path) -> None:
    assert load_settings(environ={}, config_file=config_with(tmp_path, None)).retention == RetentionSettings()
    changed = load_settings(environ={}, config_file=config_with(tmp_path, "flow_days = 3"))
    assert changed.retention.flow_days == 3 and changed.retention.ivr_call_days == 30


@pytest.mark.parametrize("line", ["flow_days = 0", "batch_size = -1", 'late_call_hours = "24"', "every_seconds = true"])
def test_a_bad_value_is_refused_with_its_key_and_file(tmp_path: Path, line: str) -> None:
    path = config_with(tmp_path, line)
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={}, config_file=path)
    assert str(path) in str(raised.value) and f"retention.{line.split(' = ')[0]} must be a whole number >= 1" in str(raised.value)
