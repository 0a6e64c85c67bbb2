"""[throttle] in the configuration: a window longer than retention keeps its counts is refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import DEFAULT_CONFIG, ConfigError, load_settings


def config_with(tmp_path: Path, **changes: int) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    for key, value in changes.items():
        text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} = ") else line for line in text.splitlines())
    path = tmp_path / "renkei.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["ip_window_seconds", "client_window_seconds"])
def test_a_window_retention_would_forget_in_the_middle_of_is_refused_with_its_key_and_file(tmp_path: Path, key: str) -> None:
    path = config_with(tmp_path, attempt_throttle_hours=1, **{key: 3601})
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={}, config_file=path)
    assert str(path) in str(raised.value) and f"throttle.{key} is longer than retention.attempt_throttle_hours" in str(raised.value)


def test_a_window_as_long_as_retention_keeps_the_counts_is_accepted(tmp_path: Path) -> None:
    settings = load_settings(environ={}, config_file=config_with(tmp_path, attempt_throttle_hours=1, ip_window_seconds=3600))
    assert settings.throttle.ip_window_seconds == 3600
