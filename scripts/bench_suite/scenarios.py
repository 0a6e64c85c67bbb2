"""The five scenarios: what each needs prepared, and the wrk load it runs (the flows have their own driver).

Renkei and the baseline get the same Lua script, connections and threads; only
what the requests carry differs where Renkei needs real credentials.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
from twilio.request_validator import RequestValidator

from bench_suite import seed
from bench_suite.wrk import Load
from ivr.simulate import call_form, new_call_sid
from server.clock import Clock
from server.demo import DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI, DEMO_SCOPES, DEMO_STAFF_PASSWORD
from server.demo import DEMO_SANDBOX_CLIENT_ID as DEMO_CLIENT_ID  # the demo app with a secret
from server.settings import Settings

REFRESHING_APPS = 32  # wrk threads = connections: each holds one app's rotating refresh token
CONCURRENT_CALLS = 100  # phone lines calling at once
CALL_PAUSE_MS = 1000  # between one line's calls (Twilio's webhook comes once per call, as it starts)
STAFF_ACCOUNT = "001-1-1234567"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    baseline: str  # what the baseline endpoint does
    paced: bool = False  # a fixed rate of requests: compare latency, not requests per second


SCENARIOS = (
    Scenario("introspect", "/introspect of a live JWT access token", "SELECT by primary key"),
    Scenario("refresh", "/token refresh grant (rotating refresh token, sandbox app)",
             "a read, then an INSERT (its own transaction)"),
    Scenario("webhook", f"/ivr/voice signed webhook matching an open phone check, {CONCURRENT_CALLS} lines calling "
             f"(a call a second each)", "UPDATE ... RETURNING in a transaction", paced=True),
    Scenario("staff_lock", "staff lock lookup GET /staff/api/accounts/{b}-{t}-{n}/lock", "SELECT by primary key"),
)
FLOWS = Scenario("flows", "complete authorizations: /authorize, six screens, the call, the code exchange (argon2 PIN check)",
                 "(none: no bare equivalent of a whole flow)")


def basic(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class Stage:
    """What the preparations share: the bench database, settings, clock, and a folder for files."""

    database_url: str
    settings: Settings
    clock: Clock
    work: Path
    resource_server: tuple[str, str]
    pin_hash: str
    postgres_pid: int | None = None  # the embedded server's, for its CPU time
    _branches: int = 900

    def new_branch(self) -> str:
        """A branch code no earlier preparation used: fresh accounts, no locks, no pending checks."""
        self._branches += 1
        return f"{self._branches:03d}"

    def now(self) -> datetime:
        return self.clock.now()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection of its own, closed afterwards (a backend reports its row counts when it ends)."""
        conn = await asyncpg.connect(self.database_url)
        try:
            yield conn
        finally:
            await conn.close()


async def accounts(stage: Stage, count: int) -> list[seed.BenchAccount]:
    async with stage.connection() as conn:
        return await seed.add_accounts(conn, branch_code=stage.new_branch(), count=count, pin_hash=stage.pin_hash,
                                       imported_at=stage.now())


async def refresh_tokens(stage: Stage, count: int) -> list[str]:
    chosen = await accounts(stage, count)
    async with stage.connection() as conn:
        return await seed.add_grants(conn, chosen, now=stage.now())


async def introspect_load(stage: Stage, url: str) -> Load:
    """A live access token, issued by the server under test through a real refresh."""
    token = (await refresh_tokens(stage, 1))[0]
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url + "/token", auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
                                 data={"grant_type": "refresh_token", "refresh_token": token})
    answer.raise_for_status()
    return Load("introspect.lua", (answer.json()["access_token"], basic(*stage.resource_server)), connections=64,
                threads=2, path="/introspect")


async def refresh_load(stage: Stage, url: str) -> Load:
    path = stage.work / f"refresh-tokens-{stage.new_branch()}.txt"
    path.write_text("\n".join(await refresh_tokens(stage, REFRESHING_APPS)) + "\n")
    return Load("refresh.lua", (str(path), basic(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)), connections=REFRESHING_APPS,
                threads=REFRESHING_APPS, path="/token")


async def webhook_load(stage: Stage, url: str, calls: int, *, open_checks: bool = True) -> Load:
    """``calls`` signed calls, each matching one open phone check (opened now: the window is 120 s)."""
    if open_checks:
        callers = await accounts(stage, calls)
        async with stage.connection() as conn:
            pairs = await seed.open_phone_checks(conn, callers, auth_numbers=stage.settings.ivr.auth_numbers,
                                                 window_seconds=stage.settings.policy.phone_check_seconds, now=stage.now())
    else:
        pairs = [(f"+81709{n:08d}", stage.settings.ivr.auth_numbers[0]) for n in range(calls)]
    folder = stage.work / f"calls-{stage.new_branch()}"
    folder.mkdir()
    write_signed_calls(folder, pairs, stage.settings, threads=2)
    return Load("webhook.lua", (str(folder), str(CALL_PAUSE_MS)), connections=CONCURRENT_CALLS, threads=2, path="/ivr/voice")


def calls_for(seconds: float) -> int:
    """Enough calls for the lines to keep calling for ``seconds`` (twice the expected number, to be sure)."""
    return int(2 * CONCURRENT_CALLS * seconds * 1000 / CALL_PAUSE_MS) + CONCURRENT_CALLS


def write_signed_calls(folder: Path, pairs: list[tuple[str, str]], settings: Settings, *, threads: int) -> None:
    """Split the calls over the wrk threads: calls-N.txt, "signature<TAB>form body" a line."""
    validator = RequestValidator(settings.ivr.twilio_auth_token)
    url = settings.public_url + "/ivr/voice"
    files = [open(folder / f"calls-{n + 1}.txt", "w") for n in range(threads)]
    try:
        for index, (caller, auth_number) in enumerate(pairs):
            form = call_form(caller, auth_number, new_call_sid())
            body = str(httpx.QueryParams(form))
            files[index % threads].write(f"{validator.compute_signature(url, form)}\t{body}\n")
    finally:
        for handle in files:
            handle.close()


async def staff_session_cookie(url: str) -> str:
    """Sign in as head office through the login form, as a clerk's browser does."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        form = await http.get("/staff/login")
        token = _CSRF.search(form.text)
        if token is None:
            raise RuntimeError("the staff login form has no csrf_token")
        signed_in = await http.post("/staff/login", data={"staff_id": "hq-admin", "password": DEMO_STAFF_PASSWORD,
                                                          "csrf_token": token[1]})
        session = http.cookies.get("renkei_staff")
        if signed_in.status_code != 303 or not session:
            raise RuntimeError(f"staff sign-in failed: {signed_in.status_code}")
        return f"renkei_staff={session}"


async def staff_load(stage: Stage, url: str, *, sign_in: bool = True) -> Load:
    cookie = await staff_session_cookie(url) if sign_in else "renkei_staff=not-signed-in"
    return Load("staff_lock.lua", (f"/staff/api/accounts/{STAFF_ACCOUNT}/lock", cookie), connections=64, threads=2,
                path=f"/staff/api/accounts/{STAFF_ACCOUNT}/lock")


async def flow_accounts(stage: Stage, count: int) -> list[dict[str, str]]:
    return [account.as_json() for account in await accounts(stage, count)]


def flow_app() -> dict[str, str]:
    return {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "redirect_uri": DEMO_REDIRECT_URI,
            "scope": " ".join(DEMO_SCOPES)}


def baseline_introspect_load() -> Load:
    """The baseline checks no token: any body of the same shape will do."""
    return Load("introspect.lua", ("x" * 600, basic("resource-server", "secret")), connections=64, threads=2, path="/introspect")


async def prepared(stage: Stage, key: str, url: str, *, renkei: bool, calls: int) -> Load:
    """A fresh load of scenario ``key`` (the baseline gets stand-ins where Renkei needs real credentials)."""
    if key == "introspect":
        return await introspect_load(stage, url) if renkei else baseline_introspect_load()
    if key == "refresh":
        return await refresh_load(stage, url)
    if key == "webhook":
        return await webhook_load(stage, url, calls, open_checks=renkei)
    return await staff_load(stage, url, sign_in=renkei)
