"""The whole benchmark: database, counting pass, then each worker count with the baseline and Renkei."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench_suite import baseline, counting, cpu, database, machine, scenarios, seed, servers
from bench_suite.database import BenchDatabase, server_version
from bench_suite.paths import ROOT, SUITE
from bench_suite.scenarios import Stage
from bench_suite.wrk import run_wrk
from server.clock import clock_for, write_clock_offset
from server.hashing import hash_pin
from server.maintenance import MaintenanceService, calendar_rules_from_settings
from server.runtime import argon2_params
from server.settings import ENV_OVERRIDES, load_settings


@dataclass(frozen=True)
class Options:
    workers: tuple[int, ...]
    seconds: float
    warmup_seconds: float
    flow_customers: int
    tree: Path = ROOT  # the checkout whose Renkei is measured (another one: a worktree of an older commit)


def _environment(database_url: str, work: Path, port: int, clock_file: Path | None, tree: Path = ROOT) -> dict[str, str]:
    """Renkei's settings for the run: development (the bench signs its own calls), production argon2."""
    ours = {*ENV_OVERRIDES, "RENKEI_CONFIG", "RENKEI_CONFIG_OVERRIDE", "RENKEI_CLOCK_FILE"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update({"DATABASE_URL": database_url, "RENKEI_ENV": "development", "RENKEI_VAR_DIR": str(work / "var"),
                "RENKEI_PUBLIC_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": f"{tree}:{SUITE.parent}"})
    if clock_file:
        env["RENKEI_CLOCK_FILE"] = str(clock_file)
    return env


def _open_time(settings: Any, now: datetime) -> datetime | None:
    """None when the next half hour has no maintenance window; else a time that has none (for the clock file)."""
    service = MaintenanceService(calendar_rules_from_settings(settings))
    start = now
    while service.windows_between(start, start + timedelta(minutes=30)):
        start += timedelta(minutes=15)
    return None if start == now else start


async def _wrk_scenarios(stage: Stage, server: servers.Server, options: Options, *, renkei: bool) -> dict[str, Any]:
    """Each scenario: a warm-up and a measured run, each with loads of its own (a refresh token is used once)."""
    results: dict[str, Any] = {}
    for scenario in scenarios.SCENARIOS:
        calls = scenarios.calls_for(options.warmup_seconds)
        warmup = await scenarios.prepared(stage, scenario.key, server.url, renkei=renkei, calls=calls)
        await run_wrk(server.url, warmup, options.warmup_seconds)
        calls = scenarios.calls_for(options.seconds)
        load = await scenarios.prepared(stage, scenario.key, server.url, renkei=renkei, calls=calls)
        before = cpu.snapshot(server, stage.postgres_pid)
        result = results[scenario.key] = await run_wrk(server.url, load, options.seconds)
        result["cpu_ms"] = cpu.per_request(before, cpu.snapshot(server, stage.postgres_pid), result["requests"])
        print(f"  {'renkei' if renkei else 'baseline'} {scenario.key}: {result['per_second']:.0f}/s, "
              f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}", flush=True)
    return results


async def _flows(stage: Stage, server: servers.Server, options: Options) -> dict[str, Any]:
    config = {"url": server.url, "public_url": stage.settings.public_url, "twilio_token": stage.settings.ivr.twilio_auth_token,
              "app": scenarios.flow_app(), "accounts": await scenarios.flow_accounts(stage, options.flow_customers),
              "warmup_seconds": options.warmup_seconds, "seconds": options.seconds * 2}
    path = stage.work / "driver.json"
    path.write_text(json.dumps(config))
    before = await database.activity(stage.database_url)
    spent = cpu.snapshot(server, stage.postgres_pid)
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench_suite.driver", str(path),
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=config["seconds"] + config["warmup_seconds"] + 120)
    if process.returncode:
        raise RuntimeError(f"the flow driver failed: {err.decode()[-2000:]}")
    result = json.loads(out)
    result["cpu_ms"] = cpu.per_request(spent, cpu.snapshot(server, stage.postgres_pid), result["walked"])
    after = await database.activity(stage.database_url)  # WAL and sizes are current at once (row counts are not)
    result["wal_bytes_per_flow"] = round((after.wal_bytes - before.wal_bytes) / max(result["walked"], 1))
    result["bytes_grown_per_flow"] = {table: round((after.sizes[table] - before.sizes.get(table, 0)) / max(result["walked"], 1))
                                      for table in after.sizes if after.sizes[table] != before.sizes.get(table, 0)}
    print(f"  renkei flows: {result['per_second']:.1f}/s, errors {result['errors']}", flush=True)
    return result


async def _serve(kind: str, stage: Stage, env: dict[str, str], port: int, workers: int, options: Options) -> dict[str, Any]:
    renkei = kind == "renkei"
    starter = servers.start_renkei if renkei else servers.start_baseline
    server = starter(env, port=port, workers=workers, log_dir=stage.work)
    try:
        await servers.until_ready(server, "/readyz" if renkei else "/ready")
        results = await _wrk_scenarios(stage, server, options, renkei=renkei)
        if renkei:
            results["flows"] = await _flows(stage, server, options)
        results["libraries"] = sorted(set().union(*(servers.loaded_libraries(pid) for pid in server.worker_pids())))
    finally:
        servers.stop(server)
    results["rss"] = server.sampler.peak_by_role()
    return results


def _commit(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--", "server", "ivr", "sql"], capture_output=True, text=True)
    return (done.stdout.strip() or "unknown") + (" with uncommitted changes" if dirty.stdout.strip() else "")


async def run(options: Options) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="rk-bench-work-", dir="/tmp"))
    described = machine.describe()  # the load average before we add ours
    bench_db = BenchDatabase(os.environ.get("DATABASE_URL"))
    database_url = await bench_db.start()
    try:
        results = {**await _run(options, work, bench_db, database_url), "machine": described}
    except BaseException:
        print(f"servers' logs and the loads' files are kept in {work}", file=sys.stderr)
        raise
    finally:
        await bench_db.stop()
    shutil.rmtree(work, ignore_errors=True)
    return results


async def _run(options: Options, work: Path, bench_db: BenchDatabase, database_url: str) -> dict[str, Any]:
    renkei_port, baseline_port = servers.free_port(), servers.free_port()
    env = _environment(database_url, work, renkei_port, None, options.tree)
    settings = load_settings(environ=env)
    opens_at = _open_time(settings, clock_for(None).now())
    if opens_at:  # the bench measures open hours, whenever it runs
        write_clock_offset(work / "clock", opens_at)
        env = _environment(database_url, work, renkei_port, work / "clock", options.tree)
    seed.renkei("migrate", env=env)
    resource_server = seed.seed_demo_and_resource_server(env)
    stage = Stage(database_url, settings, clock_for(work / "clock" if opens_at else None), work, resource_server,
                  hash_pin(settings.secrets.pin_pepper, argon2_params(settings), seed.PIN), bench_db.postmaster_pid())
    async with stage.connection() as conn:
        await baseline.create_tables(conn)
    ports = {"renkei": renkei_port, "baseline": baseline_port}
    print("counting pass (round trips, rows and WAL per request)", flush=True)
    counted = {kind: await counting.count(stage, renkei=kind == "renkei", env=env, port=ports[kind], log_dir=work)
               for kind in ("renkei", "baseline")}
    runs: dict[str, Any] = {}
    for workers in options.workers:
        print(f"{workers} worker process(es)", flush=True)
        runs[str(workers)] = {kind: await _serve(kind, stage, env, ports[kind], workers, options) for kind in ("baseline", "renkei")}
    return {"postgresql": await server_version(database_url), "database": bench_db.where,
            "clock": opens_at.isoformat() if opens_at else "system clock", "argon2": vars(settings.argon2),
            "options": {**vars(options), "tree": "." if options.tree == ROOT else options.tree.name}, "commit": _commit(options.tree), "counting": counted, "runs": runs}
