"""Before and after, interleaved: the same loads against two checkouts of Renkei, taking turns.

    PYTHONPATH=scripts .venv/bin/python -m bench_suite.ab OLD_TREE [NEW_TREE] [--rounds 3]

On a machine shared with other work, two runs minutes apart differ by more
than most fixes; taking turns scenario by scenario, and keeping the median of
several rounds, compares the two under the same conditions. One worker each;
CPU per request of the worker and of PostgreSQL, and requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench_suite import cpu, scenarios, seed, servers
from bench_suite.database import BenchDatabase
from bench_suite.paths import ROOT
from bench_suite.run import Options, _environment, _flows
from bench_suite.scenarios import Stage
from bench_suite.wrk import run_wrk
from server.clock import clock_for
from server.hashing import hash_pin
from server.runtime import argon2_params
from server.settings import load_settings

KEYS = ("introspect", "refresh", "staff_lock")
SECONDS, WARMUP = 4.0, 1.0


async def _turn(stage: Stage, env: dict[str, str], port: int, options: Options) -> dict[str, dict[str, float]]:
    server = servers.start_renkei(env, port=port, workers=1, log_dir=stage.work)
    measured: dict[str, dict[str, float]] = {}
    try:
        await servers.until_ready(server, "/readyz")
        for key in KEYS:
            await run_wrk(server.url, await scenarios.prepared(stage, key, server.url, renkei=True, calls=0), WARMUP)
            load = await scenarios.prepared(stage, key, server.url, renkei=True, calls=0)
            before = cpu.snapshot(server, stage.postgres_pid)
            result = await run_wrk(server.url, load, SECONDS)
            spent = cpu.per_request(before, cpu.snapshot(server, stage.postgres_pid), result["requests"])
            measured[key] = {"per_second": result["per_second"], "worker": spent.get("worker", 0.0),
                             "postgres": spent.get("postgres", 0.0), "errors": result["errors"]}
        flows = await _flows(stage, server, options)
        measured["flows"] = {"per_second": flows["per_second"], "worker": flows["cpu_ms"].get("worker", 0.0),
                             "postgres": flows["cpu_ms"].get("postgres", 0.0), "errors": flows["errors"]}
    finally:
        servers.stop(server)
    return measured


async def compare(trees: tuple[Path, Path], rounds: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="rk-ab-", dir="/tmp"))
    bench_db = BenchDatabase(None)
    url = await bench_db.start()
    try:
        port = servers.free_port()
        envs = [_environment(url, work, port, None, tree) for tree in trees]
        seed.renkei("migrate", env=envs[1])
        resource_server = seed.seed_demo_and_resource_server(envs[1])
        settings = load_settings(environ=envs[1])
        stage = Stage(url, settings, clock_for(None), work, resource_server,
                      hash_pin(settings.secrets.pin_pepper, argon2_params(settings), seed.PIN), bench_db.postmaster_pid())
        options = Options(workers=(1,), seconds=SECONDS * 1.5, warmup_seconds=WARMUP, flow_customers=16)
        samples: dict[int, dict[str, dict[str, list[float]]]] = {0: defaultdict(lambda: defaultdict(list)),
                                                                 1: defaultdict(lambda: defaultdict(list))}
        for number in range(rounds):
            for side in (0, 1):
                print(f"round {number + 1}, {'before' if side == 0 else 'after'}", flush=True)
                for key, figures in (await _turn(stage, envs[side], port, options)).items():
                    for name, value in figures.items():
                        samples[side][key][name].append(value)
        return {side: {key: {name: statistics.median(values) for name, values in figures.items()}
                       for key, figures in samples[side].items()} for side in (0, 1)}
    finally:
        await bench_db.stop()


def table(medians: dict[int, dict[str, dict[str, float]]], labels: tuple[str, str]) -> str:
    lines = [f"| per request (median of rounds, 1 worker) | {labels[0]} | {labels[1]} |", "|---|---|---|"]
    for key in (*KEYS, "flows"):
        before, after = medians[0][key], medians[1][key]
        unit = "flows/s" if key == "flows" else "req/s"
        lines.append(f"| {key}: {unit} | {before['per_second']:.1f} | {after['per_second']:.1f} |")
        lines.append(f"| {key}: worker CPU ms | {before['worker']:.3f} | {after['worker']:.3f} |")
        lines.append(f"| {key}: PostgreSQL CPU ms | {before['postgres']:.3f} | {after['postgres']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=ROOT)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = (args.old.resolve(), args.new.resolve())
    medians = asyncio.run(compare(trees, args.rounds))
    print(table(medians, (f"before ({trees[0].name})", f"after ({trees[1].name})")))


if __name__ == "__main__":
    main()
