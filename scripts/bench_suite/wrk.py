"""wrk (Debian's package) with one of our Lua scripts; its results as a dict."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from dataclasses import dataclass
from typing import Any

from bench_suite.paths import LUA_DIR

MARKER = "BENCH-RESULT "


@dataclass(frozen=True)
class Load:
    script: str  # a file under lua/
    args: tuple[str, ...]
    connections: int
    threads: int
    path: str = "/"


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: scripts/bench installs it with apt-get; or install Debian's wrk package")
    return found


async def run_wrk(url: str, load: Load, seconds: float) -> dict[str, Any]:
    """Requests per second, latency (ms) and errors of one run of ``seconds``."""
    command = [wrk_path(), "-t", str(load.threads), "-c", str(load.connections), "-d", f"{seconds:.0f}s",
               "--timeout", "10s", "-s", str(LUA_DIR / load.script), url + load.path, "--", *load.args]
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, "BENCH_LUA_DIR": str(LUA_DIR)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=seconds + 60)
    finally:
        if process.returncode is None:
            process.kill()
    lines = [line for line in out.decode().splitlines() if line.startswith(MARKER)]
    if process.returncode or not lines:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.decode()[-2000:]}{out.decode()[-2000:]}")
    raw = json.loads(lines[-1].removeprefix(MARKER))
    seconds_run = raw["duration_us"] / 1e6
    errors = raw["socket_errors"] + raw["timeouts"] + raw["wrong_answers"]  # a 4xx or 5xx is a wrong answer too
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "per_second": raw["requests"] / seconds_run if seconds_run else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "error_detail": {k: raw[k] for k in ("socket_errors", "timeouts", "http_errors", "wrong_answers") if raw[k]},
        "first_wrong_answer": err.decode().strip()[:300] or None,
    }
