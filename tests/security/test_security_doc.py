"""docs/SECURITY.md stays true to the tests: every test it names exists, and every security and fault test is named."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from server.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "SECURITY.md"
NAMED = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")
LINKED = re.compile(r"\]\(\.\./(tests/[\w/]+\.py)\)")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test_")}


def test_every_test_the_security_document_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [f"{file}::{name}" for file, name in NAMED.findall(text)
               if not (PROJECT_ROOT / file).exists() or name not in _test_names(PROJECT_ROOT / file)]
    missing += [file for file in LINKED.findall(text) if not (PROJECT_ROOT / file).exists()]
    assert missing == []


def test_every_security_and_fault_test_is_named_in_the_security_document() -> None:
    named = set(NAMED.findall(DOC.read_text(encoding="utf-8")))
    ours = [path for folder in ("tests/security", "tests/faults") for path in sorted((PROJECT_ROOT / folder).glob("test_*.py"))]
    unnamed = [f"{path.relative_to(PROJECT_ROOT)}::{name}" for path in ours for name in sorted(_test_names(path))
               if (str(path.relative_to(PROJECT_ROOT)), name) not in named]
    assert unnamed == []
