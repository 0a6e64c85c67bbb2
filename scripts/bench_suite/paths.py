"""Where the benchmark finds the project, its virtualenv and its wrk scripts."""

from __future__ import annotations

from pathlib import Path

SUITE = Path(__file__).resolve().parent
ROOT = SUITE.parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
LUA_DIR = SUITE / "lua"
DOCS = ROOT / "docs"
