"""config/renkei.toml with one [section] replaced (or left out), for settings tests."""

from __future__ import annotations

import re
from pathlib import Path

from server.settings import DEFAULT_CONFIG


def config_with_section(tmp_path: Path, name: str, body: str | None) -> Path:
    """The shipped file where ``[name]`` holds only ``body``; None: no such section at all."""
    text = re.sub(rf"(?ms)^\[{name}\]\n.*?\n\n", "", DEFAULT_CONFIG.read_text(encoding="utf-8"))
    path = tmp_path / "renkei.toml"
    path.write_text(text + (f"\n[{name}]\n{body}\n" if body is not None else ""), encoding="utf-8")
    return path
