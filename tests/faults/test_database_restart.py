"""PostgreSQL restarted in the middle of a customer's flow, on a database of this test's own.

While the database is away the server answers at once, with a page (S02 or S03)
and /readyz says unavailable; when it is back the same browser goes on from the
screen it was on, with no server restart, and the flow completes.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from server.db.embedded import EmbeddedPostgres
from server.db.migrate import migrate
from tests.conftest import build_test_settings
from tests.flow.walk import Customer, create_account, create_client, reason_of, redirect_query

RECOVERY_SECONDS = 10


@pytest.fixture
def pgdata() -> Iterator[Path]:
    yield Path(tempfile.mkdtemp(prefix="rk-f-", dir="/tmp")) / "pg"


async def _prepared(url: str, settings):  # type: ignore[no-untyped-def]
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        await create_client(conn)
        return await create_account(conn, settings)
    finally:
        await conn.close()


async def _until_answered(http: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    while True:
        response = await http.get(path)
        if response.status_code == 200 or time.monotonic() - started > RECOVERY_SECONDS:
            return response, time.monotonic() - started
        await asyncio.sleep(0.2)


async def test_a_database_restart_mid_flow_shows_a_reason_meanwhile_and_the_flow_goes_on_by_itself(start_server, pgdata, clock):
    database = EmbeddedPostgres(pgdata)
    url = database.start()
    try:
        settings = build_test_settings(url)
        taro = await _prepared(url, settings)
        server = await start_server(settings)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            customer = Customer(http, server.runtime.settings)
            await customer.start()
            await customer.enter_account(taro)

            database.stop()
            during = await asyncio.wait_for(http.get("/flow/customer"), 5)
            assert during.status_code in (500, 503) and reason_of(during.text) in ("S02", "S03")
            assert (await http.get("/readyz")).status_code == 503
            assert (await http.get("/healthz")).status_code == 200

            database = EmbeddedPostgres(pgdata)
            database.start()
            back, seconds = await _until_answered(http, "/flow/customer")
            assert back.status_code == 200 and 'action="/flow/customer"' in back.text, f"not back after {seconds:.1f} s"
            customer.page = back.text
            await customer.enter_details(taro.birth_date)
            await customer.post("/flow/phone")
            await customer.call_in(taro.phones[0])
            await customer.post("/flow/phone/call")
            await customer.post("/flow/pin", {"pin": taro.pin})
            done = await customer.post("/flow/consent", {"decision": "approve"})
        assert "code" in redirect_query(done)
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM oauth_grant") == 1
        finally:
            await conn.close()
    finally:
        database.stop()
