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
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from server.clock import write_clock_offset
from server.demo import DEMO_CLIENT_SECRET
from server.settings import PROJECT_ROOT
from tests.cli.conftest import _clean_environment, cheap_config, renkei  # noqa: F401  (fixtures: the real `renkei` command)
from tests.conftest import OPEN_HOURS, free_port
from tests.e2e.demo_flow import DEMO_APP, RoundRobin, exchange_code, link_taro

pytestmark = pytest.mark.slow

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


async def test_one_flow_walks_through_three_server_processes_from_authorize_to_introspection(processes, resource_server):
    async with httpx.AsyncClient(timeout=20) as http:
        browser = RoundRobin(http, [p.url for p in processes])
        answer, verifier = await link_taro(browser, public_url=processes[0].url, state="st-mp")
        assert answer["iss"] == processes[0].url

        tokens = await exchange_code(http, browser.next_url(), answer, verifier)
        access_token = tokens["access_token"]
        introspected = await http.post(urljoin(browser.next_url(), "/introspect"), auth=resource_server, data={"token": access_token})
        assert introspected.json()["active"] is True
        assert introspected.json()["account"] == "001-1-1234567"
        assert set(browser.seen) == {p.url for p in processes}

        # Revoked on one process, refused by every other one (LISTEN/NOTIFY reaches them all).
        revoked = await http.post(urljoin(browser.next_url(), "/revoke"), auth=(DEMO_APP, DEMO_CLIENT_SECRET),
                                  data={"token": tokens["refresh_token"]})
        assert revoked.status_code == 200
        for process in processes:
            assert await _introspection_turns_inactive(http, process.url, resource_server, access_token)


async def _introspection_turns_inactive(http: httpx.AsyncClient, url: str, credentials: tuple[str, str], token: str) -> bool:
    async with asyncio.timeout(10):
        while True:
            answer = await http.post(url + "/introspect", auth=credentials, data={"token": token})
            if answer.json()["active"] is False:
                return True
            await asyncio.sleep(0.05)

