"""Before and after: two runs' results side by side, as a Markdown table.

    scripts/bench --tree OLD_WORKTREE --json before.json
    scripts/bench --json after.json
    PYTHONPATH=scripts .venv/bin/python -m bench_suite.compare before.json after.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench_suite.scenarios import SCENARIOS


def _row(name: str, before: float, after: float, unit: str, digits: int = 2) -> str:
    return f"| {name} | {before:.{digits}f}{unit} | {after:.{digits}f}{unit} |"


def _ratio(run: dict[str, Any], key: str) -> float:
    return run["renkei"][key]["per_second"] / run["baseline"][key]["per_second"]


def rows(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    lines = [f"| measure | before ({before.get('commit', '?')}) | after ({after.get('commit', '?')}) |", "|---|---|---|"]
    for workers in sorted(set(before["runs"]) & set(after["runs"]), key=int):
        b, a = before["runs"][workers], after["runs"][workers]
        for scenario in SCENARIOS:
            if scenario.paced:
                lines.append(_row(f"{scenario.key} p99, {workers}w", b["renkei"][scenario.key]["p99_ms"],
                                  a["renkei"][scenario.key]["p99_ms"], " ms", 1))
            else:
                lines.append(_row(f"{scenario.key} ÷ baseline, {workers}w", _ratio(b, scenario.key), _ratio(a, scenario.key), "×"))
            lines.append(_row(f"{scenario.key} worker CPU per request, {workers}w", b["renkei"][scenario.key]["cpu_ms"].get("worker", 0),
                              a["renkei"][scenario.key]["cpu_ms"].get("worker", 0), " ms", 3))
        lines.append(_row(f"complete authorizations per second, {workers}w", b["renkei"]["flows"]["per_second"],
                          a["renkei"]["flows"]["per_second"], "", 1))
        lines.append(_row(f"worker CPU per flow, {workers}w", b["renkei"]["flows"]["cpu_ms"].get("worker", 0),
                          a["renkei"]["flows"]["cpu_ms"].get("worker", 0), " ms", 1))
    for key in ("introspect", "refresh", "staff_lock", "flows"):
        lines.append(_row(f"{key}: database round trips per request", before["counting"]["renkei"][key]["round_trips"],
                          after["counting"]["renkei"][key]["round_trips"], "", 1))
    return lines


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as old, open(sys.argv[2], encoding="utf-8") as new:
        print("\n".join(rows(json.load(old), json.load(new))))


if __name__ == "__main__":
    main()
