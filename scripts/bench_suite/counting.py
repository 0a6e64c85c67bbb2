"""The counting pass: what one request of each scenario costs the database.

One server process is started with its database URL pointing at the wire
counter (bench_suite.wire); a few requests of each scenario are sent one after
the other, and the round trips and bytes between them are divided by their
number. For the scenarios that write, PostgreSQL's own counters then give rows
written per table, WAL bytes and commits per request.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench_suite import database, scenarios, servers
from bench_suite.flows import STEPS, App, Walker
from bench_suite.scenarios import Stage
from bench_suite.wire import Counts, WireCounter
from bench_suite.wrk import Load

REQUESTS = 20
FLOWS = 5
SETTLE_SECONDS = 0.5  # for backends that ended to report their counts
WRITING = ("refresh", "webhook", "flows")

Replay = Callable[[httpx.AsyncClient, str, Load, int], Awaitable[None]]


async def _introspect(http: httpx.AsyncClient, url: str, load: Load, count: int) -> None:
    token, credentials = load.args
    for _ in range(count):
        answer = await http.post(url + load.path, data={"token": token}, headers={"Authorization": f"Basic {credentials}"})
        _expect(answer, '"active":true')


async def _refresh(http: httpx.AsyncClient, url: str, load: Load, count: int) -> None:
    tokens = Path(load.args[0]).read_text().split()
    for _ in range(count):
        answer = await http.post(url + load.path, data={"grant_type": "refresh_token", "refresh_token": tokens[0]},
                                 headers={"Authorization": f"Basic {load.args[1]}"})
        _expect(answer, '"refresh_token"')
        tokens[0] = answer.json()["refresh_token"]
    Path(load.args[0]).write_text("\n".join(tokens) + "\n")


async def _webhook(http: httpx.AsyncClient, url: str, load: Load, count: int) -> None:
    files = sorted(Path(load.args[0]).glob("calls-*.txt"))
    lines = [line for path in files for line in path.read_text().splitlines()]
    if len(lines) < count:
        raise RuntimeError(f"counting pass: {count} calls wanted, {len(lines)} prepared")
    for line in lines[:count]:
        signature, body = line.split("\t", 1)
        answer = await http.post(url + load.path, content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        _expect(answer, "<Reject")
    for path in files[1:]:
        path.unlink()
    files[0].write_text("".join(line + "\n" for line in lines[count:]))


async def _staff_lock(http: httpx.AsyncClient, url: str, load: Load, count: int) -> None:
    for _ in range(count):
        _expect(await http.get(url + load.path, headers={"Cookie": load.args[1]}), '"identity"')


REPLAYS: dict[str, Replay] = {"introspect": _introspect, "refresh": _refresh, "webhook": _webhook, "staff_lock": _staff_lock}


def _expect(answer: httpx.Response, text: str) -> None:
    if answer.status_code != 200 or text not in answer.text:
        raise RuntimeError(f"counting pass: unexpected answer {answer.status_code}: {answer.text[:200]}")


class Meter:
    """Round trips and bytes on the wire between ``start`` and ``stop``."""

    def __init__(self, relay: WireCounter) -> None:
        self.relay = relay
        self.mark = Counts()

    def start(self) -> None:
        self.mark = self.relay.counts.copy()

    def stop(self, requests: int) -> dict[str, Any]:
        wire = self.relay.counts.minus(self.mark)
        return {"round_trips": round(wire.round_trips / requests, 2),
                "bytes_to_database": round(wire.bytes_to_server / requests),
                "bytes_from_database": round(wire.bytes_to_client / requests)}


async def count(stage: Stage, *, renkei: bool, env: dict[str, str], port: int, log_dir: Path) -> dict[str, Any]:
    """Every scenario's cost per request on one process of Renkei (flows included) or of the baseline."""
    results = await _round_trips(stage, renkei=renkei, env=env, port=port, log_dir=log_dir)
    if renkei:
        for key, writes in (await _writes(stage, env=env, port=port, log_dir=log_dir)).items():
            results[key].update(writes)
    return results


async def _round_trips(stage: Stage, *, renkei: bool, env: dict[str, str], port: int, log_dir: Path) -> dict[str, Any]:
    relay = WireCounter(stage.database_url)
    await relay.start()
    starter = servers.start_renkei if renkei else servers.start_baseline
    server = starter({**env, "DATABASE_URL": relay.url()}, port=port, workers=1, log_dir=log_dir)
    meter, results = Meter(relay), {}
    try:
        await servers.until_ready(server, "/readyz" if renkei else "/ready")
        async with httpx.AsyncClient(timeout=30) as http:
            for key, replay in REPLAYS.items():
                load = await scenarios.prepared(stage, key, server.url, renkei=renkei, calls=REQUESTS + 1)
                await replay(http, server.url, load, 1)  # caches warm, statements prepared
                meter.start()
                await replay(http, server.url, load, REQUESTS)
                results[key] = meter.stop(REQUESTS)
            if renkei:
                results["flows"] = await _flow_round_trips(stage, http, server.url, meter)
    finally:
        servers.stop(server)
        await relay.close()
    return results


async def _flow_round_trips(stage: Stage, http: httpx.AsyncClient, url: str, meter: Meter) -> dict[str, Any]:
    """Per flow, and per step of a flow."""
    account = (await scenarios.flow_accounts(stage, 1))[0]
    per_step: dict[str, list[int]] = defaultdict(list)
    mark = [0]

    def on_step(step: str, _seconds: float) -> None:
        per_step[step].append(meter.relay.counts.round_trips - mark[0])
        mark[0] = meter.relay.counts.round_trips

    walker = Walker(http, url, stage.settings.public_url, stage.settings.ivr.twilio_auth_token, App(**scenarios.flow_app()),
                    on_step=on_step)
    await walker.walk(account)  # warm
    meter.start()
    mark[0] = meter.relay.counts.round_trips
    per_step.clear()
    for _ in range(FLOWS):
        await walker.walk(account)
    result = meter.stop(FLOWS)
    result["steps"] = {step: round(sum(per_step[step]) / len(per_step[step]), 2) for step in STEPS if per_step[step]}
    return result


async def _writes(stage: Stage, *, env: dict[str, str], port: int, log_dir: Path) -> dict[str, dict[str, Any]]:
    """Rows per table, WAL bytes and transactions per request, from PostgreSQL's own counters.

    A backend reports its row counts when it ends, so each reading is taken
    with no server running; what a server writes merely starting and stopping
    is measured alone and taken off.
    """
    idle = await _between_readings(stage, env, port, log_dir, None)
    results = {}
    for key in WRITING:
        per = FLOWS if key == "flows" else REQUESTS
        total = await _between_readings(stage, env, port, log_dir, key)
        results[key] = {"wal_bytes": round((total["wal"] - idle["wal"]) / per),
                        "transactions": round((total["transactions"] - idle["transactions"]) / per, 2),
                        "tables": database.writes_between(idle["before"], idle["after"], total["before"], total["after"], per)}
    return results


async def _between_readings(stage: Stage, env: dict[str, str], port: int, log_dir: Path, key: str | None) -> dict[str, Any]:
    """Start a server, send ``key``'s requests (none for None), stop it; the database's counters before and after."""
    if key == "flows":
        account = (await scenarios.flow_accounts(stage, 1))[0]
    elif key:
        load = await scenarios.prepared(stage, key, "", renkei=True, calls=REQUESTS)
    await asyncio.sleep(SETTLE_SECONDS)
    before = await database.activity(stage.database_url)
    server = servers.start_renkei(env, port=port, workers=1, log_dir=log_dir)
    try:
        await servers.until_ready(server, "/readyz")
        async with httpx.AsyncClient(timeout=30) as http:
            if key == "flows":
                walker = Walker(http, server.url, stage.settings.public_url, stage.settings.ivr.twilio_auth_token,
                                App(**scenarios.flow_app()), on_step=lambda step, seconds: None)
                for _ in range(FLOWS):
                    await walker.walk(account)
            elif key:
                await REPLAYS[key](http, server.url, load, REQUESTS)
    finally:
        servers.stop(server)
    await asyncio.sleep(SETTLE_SECONDS)
    after = await database.activity(stage.database_url)
    return {"before": before, "after": after, "wal": after.wal_bytes - before.wal_bytes,
            "transactions": after.commits - before.commits}
