"""scripts/cluster bench: how long a primary's power loss interrupts service, and what a planned
switchover and a rolling restart cost, measured through the balancer under load.

Writes its section of docs/PERFORMANCE.md (between its own markers). Brings a rehearsal up
when none runs, and takes down only what it brought up.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench_suite.flows import App, FlowBroken, Walker
from cluster_rehearsal import commands, waiting
from cluster_rehearsal.bench_report import write_section
from cluster_rehearsal.state import CA_FILE, CLUSTER_JSON, CLOCK_FILE
from cluster_rehearsal.topology import of_role, public_url
from server.clock import write_clock_offset
from server.demo import DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, DEMO_SANDBOX_CLIENT_ID

APP = App(DEMO_SANDBOX_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, "accounts:read transactions:read")  # a sandbox app
REFRESHERS, WALKERS, ROUNDS = 4, 2, 2
OPEN_HOURS_OFFSET = "2026-11-24T10:00:00+09:00"  # a Tuesday morning, far from every maintenance window


def label(where: str, status: int | str, body: str) -> str:
    """A failure in a few words: where, the status, and who said no (the balancer, or Renkei's code)."""
    if "No server is available" in body:
        why = "from the balancer: no app host ready"
    elif code := re.search(r'data-reason-code="([A-Z0-9]+)"', body):
        why = code[1]
    elif error := re.search(r'"error":\s*"([a-z_]+)"', body):
        why = error[1]
    else:
        why = ""
    return f"{where} {status} {why}".strip()


class Traffic:
    """Apps refreshing and customers linking through the balancer; every request's time and outcome."""

    def __init__(self, twilio_token: str, accounts: list[dict[str, str]]) -> None:
        self.twilio_token, self.accounts = twilio_token, accounts
        self.requests: list[tuple[float, bool]] = []
        self.kinds: dict[str, int] = {}  # what the failed requests got
        self.tokens: list[tuple[float, bool]] = []  # /token refreshes only
        self.running = True

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(verify=ssl.create_default_context(cafile=CA_FILE), timeout=30)

    async def run(self, grants: list[str]) -> None:
        await asyncio.gather(*(self._refresh(g) for g in grants), *(self._walk(a) for a in self.accounts[:WALKERS]))

    def failed(self, since: float, until: float) -> tuple[int, int]:
        """(failed, all) requests started in [since, until]."""
        inside = [ok for at, ok in self.requests if since <= at <= until]
        return inside.count(False), len(inside)

    def _kind(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def first_token_after(self, moment: float) -> float | None:
        return next((at for at, ok in self.tokens if ok and at > moment), None)

    async def _refresh(self, grant: str) -> None:
        async with self.client() as http:
            while self.running:
                began = time.monotonic()
                try:
                    answer = await http.post(public_url() + "/token", auth=(APP.client_id, APP.client_secret),
                                             data={"grant_type": "refresh_token", "refresh_token": grant})
                    ok = answer.status_code == 200
                    if not ok:
                        self._kind(label("/token", answer.status_code, answer.text))
                except httpx.HTTPError as error:
                    ok = False
                    self._kind(f"/token {type(error).__name__}")
                self.requests.append((began, ok))
                self.tokens.append((began, ok))
                if ok:
                    grant = answer.json()["refresh_token"]
                await asyncio.sleep(0.05 if ok else 0.2)

    async def _walk(self, account: dict[str, str]) -> None:
        async with self.client() as http:
            while self.running:
                steps: list[tuple[float, bool]] = []
                walker = Walker(http, public_url(), public_url(), self.twilio_token, APP,
                                lambda step, seconds: steps.append((time.monotonic() - seconds, True)))
                try:
                    await walker.walk(account)
                except FlowBroken as error:  # the last step answered, wrongly
                    steps[-1] = (steps[-1][0], False)
                    step, _, answer = str(error).partition(": ")
                    status, _, body = answer.partition(" ")
                    self._kind(label(step.split(" ")[0], status, body))
                except httpx.HTTPError as error:  # the request that failed got no answer at all
                    steps.append((time.monotonic(), False))
                    self._kind(f"flow {type(error).__name__}")
                self.requests.extend(steps)
                if not all(ok for _, ok in steps):
                    await asyncio.sleep(0.2)


async def _grants(twilio_token: str, accounts: list[dict[str, str]]) -> list[str]:
    """One linked grant per refresher (a complete flow each): the refresh tokens the apps hold."""
    tokens = []
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=CA_FILE), timeout=30) as http:
        for account in accounts[:REFRESHERS]:
            walker = Walker(http, public_url(), public_url(), twilio_token, APP, lambda step, seconds: None)
            await walker.walk(account)
            tokens.append(json.loads(walker.page)["refresh_token"])
    return tokens


def _accounts() -> list[dict[str, str]]:
    """Bench customers of branch 901, imported as the bank's extract would be."""
    accounts = [{"branch_code": "901", "account_type": "1", "account_number": f"{n:07d}", "birth_date": "1980-04-01",
                 "pin": "1234", "phone": f"+8190901{n:05d}"} for n in range(1, REFRESHERS + WALKERS + 1)]
    rows = ["branch_code,account_type,account_number,birth_date,name_kana,phones,pin,cash_card,status"]
    rows += [f"901,1,{a['account_number']},1980-04-01,ベンチ タロウ,0{a['phone'][3:]},1234,true,active" for a in accounts]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", prefix="rk-bench-", dir="/tmp") as extract:
        extract.write("\n".join(rows) + "\n")
        extract.flush()
        if commands.run_renkei(["customers", "import", extract.name], quiet=True) != 0:
            raise SystemExit("renkei customers import failed on the rehearsal")
    return accounts


async def _in_thread(function, *args) -> None:  # type: ignore[no-untyped-def]
    await asyncio.to_thread(function, *args)


async def _primary_lost(traffic: Traffic) -> dict:
    primary = next(pg for pg in of_role("postgres") if waiting.patroni_says(pg, "primary"))
    await asyncio.sleep(3)
    await _in_thread(commands.stop, primary.name)
    lost_at = time.monotonic()
    while (back_at := traffic.first_token_after(lost_at)) is None:
        if time.monotonic() - lost_at > 60:
            raise SystemExit("no /token succeeded within 60 s of the primary's loss")
        await asyncio.sleep(0.1)
    await asyncio.sleep(3)
    failed, total = traffic.failed(lost_at, back_at)
    await _in_thread(commands.start, primary.name)
    await asyncio.to_thread(waiting.until, f"{primary.name} streaming again", lambda: waiting.patroni_says(primary, "replica"), 120)
    return {"host": primary.name, "seconds": round(back_at - lost_at, 1), "failed": failed, "requests": total}


async def _switchover(traffic: Traffic) -> dict:
    members = [pg for pg in of_role("postgres")]
    leader = next(pg for pg in members if waiting.patroni_says(pg, "primary"))
    # Patroni hands the primary only to the synchronous standby, which the other becomes a loop after it streams.
    await asyncio.to_thread(waiting.until, "a synchronous standby", lambda: any(waiting.patroni_says(pg, "sync") for pg in members), 60)
    candidate = next(pg for pg in members if waiting.patroni_says(pg, "sync"))
    await asyncio.sleep(3)
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(f"http://{leader.address}:8008/switchover", json={"leader": leader.name, "candidate": candidate.name})
    answer.raise_for_status()
    await asyncio.sleep(5)
    failed, total = traffic.failed(began, time.monotonic())
    return {"from": leader.name, "to": candidate.name, "failed": failed, "requests": total}


async def _rolling_restart(traffic: Traffic) -> dict:
    await asyncio.sleep(3)
    began = time.monotonic()
    for app in of_role("app"):
        await _in_thread(commands.restart, app.name)
        await asyncio.sleep(2)
    failed, total = traffic.failed(began, time.monotonic())
    return {"seconds": round(time.monotonic() - began, 1), "failed": failed, "requests": total}


async def _under_load(twilio_token: str, accounts: list[dict[str, str]], measurement) -> dict:  # type: ignore[no-untyped-def]
    """One measurement with traffic of its own: fresh grants, so nothing one event did carries into the next.

    (A refresh in flight when the primary dies may be committed without the app hearing of it; the app's
    next refresh with the token it holds is then a reuse, which revokes a rotating grant, as it must.)
    """
    traffic = Traffic(twilio_token, accounts)
    running = asyncio.create_task(traffic.run(await _grants(twilio_token, accounts)))
    try:
        result = await measurement(traffic)
    finally:
        traffic.running = False
        await running
    return result | {"failures": traffic.kinds}


async def _measure(twilio_token: str) -> dict:
    accounts = _accounts()
    failovers = [await _under_load(twilio_token, accounts, _primary_lost) for _ in range(ROUNDS)]
    switchover = await _under_load(twilio_token, accounts, _switchover)
    rolling = [await _under_load(twilio_token, accounts, _rolling_restart) for _ in range(ROUNDS)]
    return {"failovers": failovers, "median_failover_seconds": statistics.median(f["seconds"] for f in failovers),
            "switchover": switchover, "rolling_restarts": rolling,
            "load": f"{REFRESHERS} apps refreshing back to back, {WALKERS} customers linking back to back"}


def main(argv: list[str]) -> int:
    brought_up = not CLUSTER_JSON.exists()
    if brought_up:
        commands.up()
    try:
        write_clock_offset(CLOCK_FILE, _open_hours())
        results = asyncio.run(_measure(json.loads(CLUSTER_JSON.read_text())["twilio_auth_token"]))
    finally:
        if brought_up:
            commands.down()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if "--no-report" not in argv:
        write_section(results, _machine())
    return 0


def _open_hours():  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(OPEN_HOURS_OFFSET)


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{cores} cores ({cpu}), Python {sys.version.split()[0]}"
