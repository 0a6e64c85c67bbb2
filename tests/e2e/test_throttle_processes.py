"""Horizontal guessing against two independent `renkei serve` processes sharing one PostgreSQL.

Forty browsers behind one address try account numbers that do not exist, all at
once, half on each process: the per-address throttle (20 failures in any 10
minutes, the shipped configuration) lets exactly twenty be looked up and
answers S02 to the rest, because each place is taken by one atomic statement
in the shared database, whichever process runs it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from server.clock import write_clock_offset
from tests.cli.conftest import _clean_environment, cheap_config, renkei  # noqa: F401  (fixtures: the real `renkei` command)
from tests.conftest import OPEN_HOURS, free_port
from tests.e2e.demo_flow import DEMO_APP, DEMO_REDIRECT
from tests.e2e.test_multi_process import Process, _start, _stop, _until_ready, shared_dir  # noqa: F401
from tests.flow.walk import csrf_of, pkce_pair, reason_of

pytestmark = pytest.mark.slow

BROWSERS = 40
IP_LIMIT = 20  # config/renkei.toml [throttle] ip_failures


@pytest.fixture
async def two_processes(db, database_url: str, cheap_config: Path, shared_dir: Path, renkei) -> AsyncIterator[list[Process]]:  # type: ignore[no-untyped-def]  # noqa: F811
    assert renkei("seed-demo").returncode == 0
    ports = [free_port() for _ in range(2)]
    env = {**_clean_environment(), "DATABASE_URL": database_url, "RENKEI_CONFIG": str(cheap_config),
           "RENKEI_ENV": "development", "RENKEI_VAR_DIR": str(shared_dir), "RENKEI_CLOCK_FILE": str(shared_dir / "clock"),
           "RENKEI_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}"}
    write_clock_offset(shared_dir / "clock", OPEN_HOURS)
    started = [Process(f"http://127.0.0.1:{port}", _start(port, env, shared_dir / f"{port}.log"), shared_dir / f"{port}.log")
               for port in ports]
    try:
        await asyncio.gather(*(_until_ready(p) for p in started))
        yield started
    finally:
        _stop(started)


async def _on_screen_one(http: httpx.AsyncClient, url: str) -> str:
    """A new flow of the demo app; the csrf token of screen ①."""
    _, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": DEMO_APP, "redirect_uri": DEMO_REDIRECT, "state": "st",
              "scope": "accounts:read", "code_challenge": challenge, "code_challenge_method": "S256"}
    started = await http.get(f"{url}/authorize", params=params)
    assert started.status_code in (302, 303), started.text[:300]
    return csrf_of((await http.get(f"{url}/flow/account")).text)


async def test_forty_guesses_at_once_on_two_processes_check_exactly_the_address_limit(two_processes, db, shared_dir: Path):
    browsers = [httpx.AsyncClient(timeout=30) for _ in range(BROWSERS)]
    urls = [two_processes[n % 2].url for n in range(BROWSERS)]
    try:
        tokens = [await _on_screen_one(http, url) for http, url in zip(browsers, urls)]
        # Ten seconds into a one-minute slice: the burst cannot straddle a slice edge, whatever the machine's speed.
        write_clock_offset(shared_dir / "clock", OPEN_HOURS + timedelta(seconds=10))
        answers = await asyncio.gather(*(
            http.post(f"{url}/flow/account", data={"csrf_token": token, "branch_code": "001", "account_type": "1",
                                                   "account_number": f"{7000000 + n:07d}"})
            for n, (http, url, token) in enumerate(zip(browsers, urls, tokens))))
    finally:
        await asyncio.gather(*(http.aclose() for http in browsers))
    assert Counter(reason_of(a.text) for a in answers) == {"B81": IP_LIMIT, "S02": BROWSERS - IP_LIMIT}
    refused = [a for a in answers if reason_of(a.text) == "S02"]
    assert {a.status_code for a in refused} == {503}
    # The failures' minute slice counts until a whole window after it ends: 10:11 is 650 s after 10:00:10.
    assert {int(a.headers["retry-after"]) for a in refused} <= set(range(640, 661))
    assert await db.fetchval("SELECT sum(failures) FROM attempt_throttle WHERE scope = 'ip'") == IP_LIMIT
