"""SIGTERM with a customer on the waiting screen ④: the page carries on, on the other process.

Two `renkei serve` processes share one database behind a stand-in for the load
balancer that sends each new connection to the first process that accepts it
(as HAProxy with redispatch does once a server is down). The customer's page
listens on the first; it gets SIGTERM. The page is told to reconnect, is refused
a new stream while the first drains, and opens one on the second; the call
arrives there, the page moves on by itself, and the flow completes. The first
process exits 0 within [server] shutdown_grace_seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.async_api import expect

from server.clock import write_clock_offset
from tests.cli.conftest import _clean_environment, cheap_config, renkei  # noqa: F401  (fixtures: the real `renkei` command)
from tests.conftest import OPEN_HOURS, free_port
from tests.e2e.test_customer_flow import JA, _account, _details
from tests.e2e.demo_flow import DEMO_APP, DEMO_REDIRECT, TARO_PHONE, ring
from tests.e2e.test_multi_process import Process, _start, _stop, _until_ready, shared_dir  # noqa: F401
from tests.flow.walk import pkce_pair

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TARO = SimpleNamespace(branch_code="001", account_number="1234567", birth_date="1980-04-01", pin="1234")
GRACE_SECONDS = 10  # config/renkei.toml's [server] shutdown_grace_seconds, which the servers keep


class FirstThatAnswers:
    """Each new connection goes to the first backend that accepts it."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.url = ""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        self._server.close()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for port in self.ports:
            with contextlib.suppress(OSError):
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
                await asyncio.gather(_pump(reader, upstream_writer), _pump(upstream_reader, writer))
                return
        writer.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except OSError:
        pass
    finally:
        sink.close()


@pytest.fixture
async def balanced(db, database_url: str, cheap_config: Path, shared_dir: Path, renkei) -> AsyncIterator[tuple[str, list[Process]]]:  # type: ignore[no-untyped-def]
    assert renkei("seed-demo").returncode == 0
    ports = [free_port(), free_port()]
    balancer = FirstThatAnswers(ports)
    await balancer.start()
    clock_file = shared_dir / "clock"
    write_clock_offset(clock_file, OPEN_HOURS)
    env = {**_clean_environment(), "DATABASE_URL": database_url, "RENKEI_CONFIG": str(cheap_config),
           "RENKEI_ENV": "development", "RENKEI_VAR_DIR": str(shared_dir), "RENKEI_CLOCK_FILE": str(clock_file),
           "RENKEI_PUBLIC_URL": balancer.url}
    started = [Process(f"http://127.0.0.1:{port}", _start(port, env, shared_dir / f"{port}.log"), shared_dir / f"{port}.log")
               for port in ports]
    try:
        await asyncio.gather(*(_until_ready(p) for p in started))
        yield balancer.url, started
    finally:
        _stop(started)
        await balancer.close()


async def test_sigterm_with_a_customer_waiting_drains_and_the_page_finishes_on_the_other_process(new_context, balanced):
    public, (first, second) = balanced
    page = await (await new_context()).new_page()
    _, challenge = pkce_pair()
    query = {"response_type": "code", "client_id": DEMO_APP, "redirect_uri": DEMO_REDIRECT, "state": "st-drain",
             "scope": "accounts:read", "code_challenge": challenge, "code_challenge_method": "S256"}
    await page.goto(f"{public}/authorize?{urlencode(query)}")
    await _account(page, TARO, JA)
    await _details(page, TARO.birth_date, JA)
    await page.get_by_role("button", name=JA["show"]).click()
    await expect(page).to_have_url(f"{public}/flow/phone/call")
    auth_number = await page.locator("[data-auth-number]").get_attribute("data-auth-number")
    await expect(page.locator("#call-status")).not_to_be_empty()  # listening, on the first process

    signalled = time.monotonic()
    first.popen.send_signal(signal.SIGTERM)
    async with httpx.AsyncClient(timeout=2) as http:
        ready = await http.get(first.url + "/readyz")
        assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
        assert await asyncio.to_thread(first.popen.wait, GRACE_SECONDS) == 0
        exit_seconds = time.monotonic() - signalled
        assert exit_seconds < GRACE_SECONDS

        call = await ring(http, second.url, public_url=public, caller=TARO_PHONE, to=auth_number)
        assert "<Reject" in call.text
    await expect(page).to_have_url(f"{public}/flow/pin", timeout=20_000)  # no click: the page heard it on the second
    await page.get_by_label(JA["pin"]).fill(TARO.pin)
    await page.get_by_label(JA["pin"]).press("Enter")
    await page.get_by_role("button", name=JA["allow"], exact=True).click()
    await page.wait_for_url(f"{DEMO_REDIRECT}?**")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert answer["state"] == "st-drain" and answer["code"]

    first_log, second_log = first.log.read_text(), second.log.read_text()
    assert "server.draining" in first_log and "stream.refused_draining" in first_log
    assert "path=/flow/phone/events" in second_log  # the page's stream resumed there
    print(f"first process exited {exit_seconds:.1f} s after SIGTERM with a stream open")
