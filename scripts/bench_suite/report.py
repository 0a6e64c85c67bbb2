"""docs/performance.json (everything measured) and the generated part of docs/PERFORMANCE.md.

Only the text between the two markers is replaced, so the prose around the
table (what was profiled and fixed, why argon2 has these parameters) stays.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bench_suite.flows import STEPS
from bench_suite.paths import DOCS
from bench_suite.scenarios import CONCURRENT_CALLS, FLOWS, SCENARIOS
from server.clock import TOKYO

MARKDOWN = DOCS / "PERFORMANCE.md"
JSON = DOCS / "performance.json"
BEGIN, END = "<!-- bench:begin (written by scripts/bench) -->", "<!-- bench:end -->"
MAX_RSS_MB = 150


def _ratio(renkei: dict[str, Any], baseline: dict[str, Any]) -> float:
    return renkei["per_second"] / baseline["per_second"] if baseline["per_second"] else 0.0


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, where it stands, met?) for each target of the issue."""
    rows: list[tuple[str, str, bool]] = []
    for workers, run in results["runs"].items():
        r, b = run["renkei"], run["baseline"]
        ratio = _ratio(r["introspect"], b["introspect"])
        rows.append((f"introspection ≥ 1.5× baseline ({workers}w)", f"{ratio:.2f}×", ratio >= 1.5))
        ratio = _ratio(r["refresh"], b["refresh"])
        rows.append((f"refresh ≥ 0.8× baseline ({workers}w)", f"{ratio:.2f}×", ratio >= 0.8))
        p99 = r["webhook"]["p99_ms"]
        rows.append((f"webhook p99 ≤ 25 ms, {CONCURRENT_CALLS} lines calling at once ({workers}w)", f"{p99:.1f} ms", p99 <= 25))
        errors = sum(r[key]["errors"] for key in (*(s.key for s in SCENARIOS), "flows"))
        rows.append((f"no errors ({workers}w)", f"{errors} errors", errors == 0))
        biggest = max(run["renkei"]["rss"].values()) / 2**20
        rows.append((f"every process ≤ {MAX_RSS_MB} MB resident ({workers}w)", f"largest {biggest:.0f} MB", biggest <= MAX_RSS_MB))
    most = max(results["runs"], key=int)
    flows = results["runs"][most]["renkei"]["flows"]["per_second"]
    rows.append((f"≥ 25 complete authorizations/s ({most}w, load generator on the same machine)", f"{flows:.1f}/s", flows >= 25))
    return rows


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    libraries = {lib for run in results["runs"].values() for lib in run["renkei"]["libraries"]}
    a = results["argon2"]
    return [
        f"Renkei at commit {results.get('commit', 'unknown')}; run of {results['finished_at']} (Asia/Tokyo) on {m['cores']} cores, {m['cpu']}, {m['memory_gib']} GiB, "
        f"{m['system']}, Python {m['python']}; load average before the run {m['load_average']}.",
        f"PostgreSQL {results['postgresql']} ({results['database']}); clock: {results['clock']}; "
        f"argon2id m={a['memory_kib']} KiB, t={a['time_cost']}, p={a['parallelism']}; "
        f"workers loaded: {', '.join(sorted(libraries)) or 'neither uvloop nor httptools'}.",
        f"Each load ran {results['options']['seconds']:.0f} s after {results['options']['warmup_seconds']:.0f} s of warm-up; "
        f"wrk and the flow driver ran on the same machine.",
        "",
    ]


def _scenario_table(results: dict[str, Any]) -> list[str]:
    lines = ["| scenario | workers | Renkei req/s | p50 ms | p99 ms | errors | baseline | baseline req/s | p50 ms | p99 ms | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for scenario in SCENARIOS:
        for workers, run in results["runs"].items():
            r, b = run["renkei"][scenario.key], run["baseline"][scenario.key]
            lines.append(f"| {scenario.title} | {workers} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                         f"{r['errors']} | {scenario.baseline} | {b['per_second']:.0f} | {b['p50_ms']:.1f} | {b['p99_ms']:.1f} | "
                         f"{'(paced)' if scenario.paced else f'{_ratio(r, b):.2f}×'} |")
    return lines + [""]


def _flow_tables(results: dict[str, Any]) -> list[str]:
    runs = results["runs"]
    lines = [f"**{FLOWS.title}**", "",
             "| workers | virtual customers | completions/s | whole flow p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    for workers, run in runs.items():
        f = run["renkei"]["flows"]
        lines.append(f"| {workers} | {f['customers']} | {f['per_second']:.1f} | {f['flow']['p50_ms']:.0f} | "
                     f"{f['flow']['p99_ms']:.0f} | {f['errors']} |")
    lines += ["", "Latency per step (ms), and database round trips per step (counting pass):", "",
              "| step | " + " | ".join(f"{w}w p50 | {w}w p99" for w in runs) + " | round trips |",
              "|---|" + "---|---|" * len(runs) + "---|"]
    counted = results["counting"]["renkei"]["flows"]["steps"]
    for step in STEPS:
        cells = " | ".join(f"{run['renkei']['flows']['steps'][step]['p50_ms']:.1f} | {run['renkei']['flows']['steps'][step]['p99_ms']:.1f}"
                           for run in runs.values())
        lines.append(f"| {step} | {cells} | {counted.get(step, 0):g} |")
    return lines + [""]


def _cost_table(results: dict[str, Any]) -> list[str]:
    lines = ["| per request | Renkei round trips | baseline round trips | bytes to / from PostgreSQL | transactions | WAL bytes |",
             "|---|---|---|---|---|---|"]
    renkei, base = results["counting"]["renkei"], results["counting"]["baseline"]
    for scenario in (*SCENARIOS, FLOWS):
        r = renkei[scenario.key]
        b = base.get(scenario.key, {}).get("round_trips", "–")
        writes = f"{r['transactions']:g} | {r['wal_bytes']:,}" if "transactions" in r else "– | –"
        lines.append(f"| {scenario.key} | {r['round_trips']:g} | {b} | {r['bytes_to_database']:,} / {r['bytes_from_database']:,} | "
                     f"{writes} |")
    most = max(results["runs"], key=int)
    timed = results["runs"][most]["renkei"]["flows"]
    lines += ["", f"Rows written per complete authorization, by table (counting pass), and bytes the table grew per flow "
              f"over the {most}-worker run ({timed['walked']} flows, {timed['wal_bytes_per_flow']:,} WAL bytes per flow):", "",
              "| table | inserted | updated | deleted | bytes grown (tables + indexes) |", "|---|---|---|---|---|"]
    for table, change in sorted(renkei["flows"]["tables"].items()):
        grown = timed["bytes_grown_per_flow"].get(table, 0)
        lines.append(f"| {table} | {change['inserted']:g} | {change['updated']:g} | {change['deleted']:g} | {grown:,} |")
    return lines + [""]


ROLES = ("worker", "argon2 helper", "postgres", "load generator")


def _cpu_table(results: dict[str, Any]) -> list[str]:
    lines = ["| scenario | server | workers | " + " | ".join(ROLES) + " |", "|---|---|---|" + "---|" * len(ROLES)]
    for scenario in (*SCENARIOS, FLOWS):
        for workers, run in results["runs"].items():
            for kind in ("renkei", "baseline"):
                measured = run[kind].get(scenario.key, {}).get("cpu_ms")
                if measured is not None:
                    cells = " | ".join(f"{measured[role]:.3g}" if role in measured else "–" for role in ROLES)
                    lines.append(f"| {scenario.key} | {kind} | {workers} | {cells} |")
    return lines + [""]


def _memory_table(results: dict[str, Any]) -> list[str]:
    lines = ["| server | workers | supervisor MB | each worker MB (largest) | argon2 helper MB (largest) |", "|---|---|---|---|---|"]
    for workers, run in results["runs"].items():
        for kind in ("renkei", "baseline"):
            rss = run[kind]["rss"]
            cell = lambda role: f"{rss[role] / 2**20:.0f}" if role in rss else "–"  # noqa: E731
            lines.append(f"| {kind} | {workers} | {cell('supervisor')} | {cell('worker')} | {cell('argon2 helper')} |")
    return lines + [""]


def table(results: dict[str, Any]) -> str:
    results.setdefault("finished_at", datetime.now(TOKYO).strftime("%Y-%m-%d %H:%M"))
    lines = [*_header(results), "### Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {'yes' if met else '**no**'} |" for name, measured, met in targets(results)]
    lines += ["", "### Requests", "", *_scenario_table(results), "### Complete authorizations", "", *_flow_tables(results),
              "### What a request costs the database", "", *_cost_table(results),
              "### CPU per request (ms; per completed flow for flows, warm-up included)", "", *_cpu_table(results),
              "### Peak resident memory", "",
              *_memory_table(results)]
    return "\n".join(lines)


def write(results: dict[str, Any]) -> None:
    generated = table(results)
    JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = MARKDOWN.read_text(encoding="utf-8") if MARKDOWN.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    MARKDOWN.write_text(f"{head}{BEGIN}\n{generated}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":  # rewrite the report from a results file: python -m bench_suite.report RESULTS.json
    import sys

    with open(sys.argv[1], encoding="utf-8") as saved:
        write(json.load(saved))
