"""The rehearsal's figures as a section of docs/PERFORMANCE.md, between markers of its own."""

from __future__ import annotations

from datetime import datetime, timezone

from server.settings import PROJECT_ROOT

MARKDOWN = PROJECT_ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- scripts/cluster bench: begin -->", "<!-- scripts/cluster bench: end -->"
HEADING = "## Production topology: failover and restarts (`scripts/cluster bench`)"
# Before the generated part of scripts/bench, which rewrites everything from its own marker on.
INSERT_BEFORE = "## Latest run"


def write_section(results: dict, machine: str) -> None:
    text = MARKDOWN.read_text(encoding="utf-8")
    section = f"{BEGIN}\n{_render(results, machine)}\n{END}"
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        head, tail = text.split(INSERT_BEFORE, 1)
        text = f"{head}{HEADING}\n\n{section}\n\n{INSERT_BEFORE}{tail}"
    MARKDOWN.write_text(text, encoding="utf-8")


def _render(results: dict, machine: str) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Measured {when} on {machine}: the whole rehearsal (etcd, three PostgreSQL archiving"
             f" WAL to the backup host, two app hosts with one worker each, the balancer) on that one machine. Load through the balancer: {results['load']}.",
             "", "| event | service back (first successful `/token` after it) | requests failed / made meanwhile | what failed |",
             "|---|---|---|---|"]
    for f in results["failovers"]:
        lines.append(f"| primary {f['host']} loses power | {f['seconds']} s | {f['failed']} / {f['requests']} | {_kinds(f)} |")
    s = results["switchover"]
    lines.append(f"| planned switchover {s['from']} → {s['to']} (and 5 s after) | – | {s['failed']} / {s['requests']} | {_kinds(s)} |")
    for r in results["rolling_restarts"]:
        lines.append(f"| rolling restart of both app hosts ({r['seconds']} s) | – | {r['failed']} / {r['requests']} | {_kinds(r)} |")
    lines += ["", f"Median failover: **{results['median_failover_seconds']:.1f} s** (target: within 15 s)."]
    return "\n".join(lines)


def _kinds(measurement: dict) -> str:
    kinds = measurement.get("failures", {})
    return "; ".join(f"{kind.replace('|', '/')} ×{count}" for kind, count in sorted(kinds.items(), key=lambda k: -k[1])) or "none"
