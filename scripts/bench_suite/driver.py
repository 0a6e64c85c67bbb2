"""Load driver for complete authorizations, run in its own process (its CPU is the client's, not the server's).

    python -m bench_suite.driver CONFIG.json   → one JSON object on standard output

Each virtual customer has its own browser (cookie jar, connection) and its own
account, and walks flow after flow until the time is up. Flows finished during
the warm-up are not counted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench_suite.flows import STEPS, App, FlowBroken, Walker
from bench_suite.stats import summarize


@dataclass
class Tally:
    counting: bool = False
    completions: int = 0
    walked: int = 0  # every flow completed, warm-up included
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    flow_seconds: list[float] = field(default_factory=list)
    step_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def step(self, name: str, seconds: float) -> None:
        if self.counting:
            self.step_seconds[name].append(seconds)

    def failed(self, problem: str) -> None:
        if self.counting:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(problem[:300])


async def customer(config: dict[str, Any], account: dict[str, str], tally: Tally, deadline: float) -> None:
    app = App(**config["app"])
    async with httpx.AsyncClient(timeout=30) as http:
        walker = Walker(http, config["url"], config["public_url"], config["twilio_token"], app, on_step=tally.step)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                await walker.walk(account)
            except (FlowBroken, httpx.HTTPError) as problem:
                tally.failed(f"{type(problem).__name__}: {problem}")
                continue
            tally.walked += 1
            if tally.counting and time.monotonic() < deadline:
                tally.completions += 1
                tally.flow_seconds.append(time.perf_counter() - started)


async def drive(config: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    started = time.monotonic()
    deadline = started + config["warmup_seconds"] + config["seconds"]
    customers = [asyncio.create_task(customer(config, account, tally, deadline)) for account in config["accounts"]]
    await asyncio.sleep(config["warmup_seconds"])
    tally.counting, counted_from = True, time.monotonic()
    await asyncio.gather(*customers)
    window = deadline - counted_from
    return {
        "customers": len(config["accounts"]),
        "seconds": round(window, 2),
        "completions": tally.completions,
        "walked": tally.walked,
        "per_second": tally.completions / window,
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "flow": summarize(tally.flow_seconds),
        "steps": {name: summarize(tally.step_seconds[name]) for name in STEPS},
    }


def main() -> None:
    config = json.loads(open(sys.argv[1], encoding="utf-8").read())
    try:
        import uvloop

        result = uvloop.run(drive(config))
    except ImportError:
        result = asyncio.run(drive(config))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
