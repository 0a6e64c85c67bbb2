"""S02 when the server is overloaded: too many requests in flight, or no database connection in time."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx

from tests.conftest import build_test_settings
from tests.flow.walk import Customer, create_account, create_client


async def test_a_request_beyond_max_in_flight_gets_s02_with_retry_after(start_server, database_url, db):
    settings = replace(build_test_settings(database_url), max_in_flight=1)
    server = await start_server(settings)
    await create_client(db)
    taro = await create_account(db, server.runtime.settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.enter_account(taro)
        await customer.enter_details(taro.birth_date)
        await customer.post("/flow/phone")
        # The waiting screen's event stream holds the only slot while it waits for the call.
        async with http.stream("GET", "/flow/phone/events") as events:
            assert events.status_code == 200
            async with httpx.AsyncClient(base_url=server.url) as other:
                busy = await other.get("/flow/account")
                api = await other.post("/token", data={})
                probe = await other.get("/healthz")
    assert busy.status_code == 503
    assert busy.headers["retry-after"].isdigit()
    assert 'data-reason-code="S02"' in busy.text
    assert "ただ今受付が混雑しておりますので" in busy.text
    assert api.status_code == 503 and api.json()["error"] == "temporarily_unavailable"
    assert probe.status_code == 200


async def test_no_database_connection_within_the_acquire_timeout_gets_s02(start_server, database_url, db):
    settings = build_test_settings(database_url)
    settings = replace(settings, database=replace(settings.database, pool_min=1, pool_max=1, acquire_timeout_seconds=0.2))
    server = await start_server(settings)
    async with server.runtime.pool.acquire():  # someone else holds the only connection
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await asyncio.wait_for(http.get("/authorize", params={"client_id": "x"}), 5)
    assert response.status_code == 503
    assert 'data-reason-code="S02"' in response.text
    assert response.headers["retry-after"].isdigit()
