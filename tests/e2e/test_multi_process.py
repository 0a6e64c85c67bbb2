"""Three independent `renkei serve` processes on one PostgreSQL walk one customer's flow together.

Every step goes to a different process, as a load balancer without sticky
sessions would send it: the flow lives in the database and the cookie, never in
a process. The call lands on one process while the wait screen's event stream
is held open by another; the code is exchanged on a third; the token is
introspected, and revoked, on yet others.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from ivr.simulate import call_form, new_call_sid
from ivr.webhook import VOICE_PATH
from server.clock import write_clock_offset
from server.demo import DEMO_CLIENT_SECRET
from server.settings import PROJECT_ROOT
from tests.cli.conftest import _clean_environment, cheap_config, renkei  # noqa: F401  (fixtures: the real `renkei` command)
from tests.conftest import OPEN_HOURS, free_port
from tests.flow.walk import auth_number_of, csrf_of, pkce_pair, redirect_query

pytestmark = pytest.mark.slow

DEMO_APP = "demo-sandbox"  # the demo app with a secret (demo-fintech signs with its own key)
DEMO_REDIRECT = "http://127.0.0.1:8080/callback"
TARO = {"branch_code": "001", "account_type": "1", "account_number": "1234567"}
TARO_PHONE, TARO_BIRTH, TARO_PIN = "+819012345678", "1980-04-01", "1234"
TWILIO_TOKEN = "dev-twilio-auth-token-not-secret"
PROCESSES = 3


@dataclass
class Process:
    url: str
    popen: subprocess.Popen[bytes]
    log: Path


def _start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
                                env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)


async def _until_ready(process: Process) -> None:
    async with httpx.AsyncClient(timeout=2) as http, asyncio.timeout(60):
        while True:
            if process.popen.poll() is not None:
                pytest.fail(f"{process.url} exited early:\n{process.log.read_text()[-3000:]}")
            try:
                if (await http.get(process.url + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


def _stop(processes: list[Process]) -> None:
    for process in processes:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.popen.kill()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rk-mp-") as directory:
        yield Path(directory)


@pytest.fixture
async def processes(db, database_url: str, cheap_config: Path, shared_dir: Path, renkei) -> AsyncIterator[list[Process]]:  # type: ignore[no-untyped-def]
    """Three servers behind one public URL (the load balancer's), sharing keys, clock and database."""
    assert renkei("seed-demo").returncode == 0
    ports = [free_port() for _ in range(PROCESSES)]
    clock_file = shared_dir / "clock"
    write_clock_offset(clock_file, OPEN_HOURS)  # far from every maintenance window, whenever the test runs
    env = {**_clean_environment(), "DATABASE_URL": database_url, "RENKEI_CONFIG": str(cheap_config),
           "RENKEI_ENV": "development", "RENKEI_VAR_DIR": str(shared_dir), "RENKEI_CLOCK_FILE": str(clock_file),
           "RENKEI_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}"}
    started = [Process(f"http://127.0.0.1:{port}", _start(port, env, shared_dir / f"{port}.log"), shared_dir / f"{port}.log")
               for port in ports]
    try:
        await asyncio.gather(*(_until_ready(p) for p in started))
        yield started
    finally:
        _stop(started)


@pytest.fixture
def resource_server(renkei) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    done = renkei("clients", "add", "--kind", "resource-server", "--name", "残高照会API")
    assert done.returncode == 0, done.stderr
    credentials = json.loads(done.stdout)
    return credentials["client_id"], credentials["client_secret"]


class RoundRobin:
    """One browser (one cookie jar) whose every request goes to the next process."""

    def __init__(self, http: httpx.AsyncClient, processes: list[Process]) -> None:
        self.http, self.urls, self.seen = http, cycle([p.url for p in processes]), []
        self.page = ""

    def next_url(self) -> str:
        url = next(self.urls)
        self.seen.append(url)
        return url

    async def get(self, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        response = await self.http.get(urljoin(self.next_url(), path), **kwargs)
        self.page = response.text
        return response

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        response = await self.http.post(urljoin(self.next_url(), path), data={"csrf_token": csrf_of(self.page), **data})
        assert response.status_code == 303, response.text[:500]
        return response


async def _read_event(stream: httpx.Response) -> str:
    async for line in stream.aiter_lines():
        if line.startswith("event: "):
            return line.removeprefix("event: ")
    return "closed"


async def test_one_flow_walks_through_three_server_processes_from_authorize_to_introspection(processes, resource_server):
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": DEMO_APP, "redirect_uri": DEMO_REDIRECT, "state": "st-mp",
              "scope": "accounts:read transactions:read", "code_challenge": challenge, "code_challenge_method": "S256"}
    async with httpx.AsyncClient(timeout=20) as http:
        browser = RoundRobin(http, processes)
        started = await browser.get("/authorize", params=params)
        assert started.status_code in (302, 303) and started.headers["location"].endswith("/flow/account")
        await browser.get("/flow/account")
        await browser.post("/flow/account", TARO)
        await browser.get("/flow/customer")
        await browser.post("/flow/customer", {"birth_date": TARO_BIRTH, "name_kana": "ヤマダ タロウ", "email": "taro@example.jp"})
        await browser.get("/flow/phone")
        await browser.post("/flow/phone", {})
        await browser.get("/flow/phone/call")
        auth_number = auth_number_of(browser.page)

        # The wait screen listens on one process; Twilio's call arrives at another.
        async with http.stream("GET", urljoin(browser.next_url(), "/flow/phone/events")) as events:
            assert events.status_code == 200
            event = asyncio.create_task(_read_event(events))
            call = await _ring(http, browser.next_url(), public_url=processes[0].url, caller=TARO_PHONE, to=auth_number)
            assert call.status_code == 200 and "<Reject" in call.text
            assert await asyncio.wait_for(event, 10) == "matched"

        await browser.post("/flow/phone/call", {})
        await browser.get("/flow/pin")
        await browser.post("/flow/pin", {"pin": TARO_PIN})
        await browser.get("/flow/consent")
        approved = await browser.post("/flow/consent", {"decision": "approve"})
        answer = redirect_query(approved)
        assert approved.headers["location"].startswith(DEMO_REDIRECT) and answer["iss"] == processes[0].url

        tokens = await http.post(urljoin(browser.next_url(), "/token"), auth=(DEMO_APP, DEMO_CLIENT_SECRET), data={
            "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": DEMO_REDIRECT, "code_verifier": verifier})
        assert tokens.status_code == 200, tokens.text
        access_token = tokens.json()["access_token"]
        introspected = await http.post(urljoin(browser.next_url(), "/introspect"), auth=resource_server, data={"token": access_token})
        assert introspected.json()["active"] is True
        assert introspected.json()["account"] == "001-1-1234567"
        assert set(browser.seen) == {p.url for p in processes}

        # Revoked on one process, refused by every other one (LISTEN/NOTIFY reaches them all).
        revoked = await http.post(urljoin(browser.next_url(), "/revoke"), auth=(DEMO_APP, DEMO_CLIENT_SECRET),
                                  data={"token": tokens.json()["refresh_token"]})
        assert revoked.status_code == 200
        for process in processes:
            assert await _introspection_turns_inactive(http, process.url, resource_server, access_token)


async def _ring(http: httpx.AsyncClient, process_url: str, *, public_url: str, caller: str, to: str) -> httpx.Response:
    """Twilio's webhook, signed for the public URL (the load balancer's), delivered to one process behind it."""
    form = call_form(caller, to, new_call_sid())
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public_url + VOICE_PATH, form)
    return await http.post(process_url + VOICE_PATH, data=form, headers={SIGNATURE_HEADER: signature})


async def _introspection_turns_inactive(http: httpx.AsyncClient, url: str, credentials: tuple[str, str], token: str) -> bool:
    async with asyncio.timeout(10):
        while True:
            answer = await http.post(url + "/introspect", auth=credentials, data={"token": token})
            if answer.json()["active"] is False:
                return True
            await asyncio.sleep(0.05)

