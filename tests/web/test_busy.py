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
    release = asyncio.Event()

    async def slow_form():  # a customer on a very slow line: the request stays in progress
        yield b"branch_code=001"
        await release.wait()
        yield b"&account_type=1"

    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        held = asyncio.create_task(http.post(
            "/flow/account", content=slow_form(), headers={"content-type": "application/x-www-form-urlencoded"}))
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient(base_url=server.url) as other:
            busy = await other.get("/flow/account")
            api = await other.post("/token", data={})
            probe = await other.get("/healthz")
        release.set()
        assert (await held).status_code != 503
        after = await customer.enter_account(taro)
    assert busy.status_code == 503
    assert busy.headers["retry-after"].isdigit()
    assert 'data-reason-code="S02"' in busy.text
    assert "ただ今受付が混雑しておりますので" in busy.text
    assert api.status_code == 503 and api.json()["error"] == "temporarily_unavailable"
    assert probe.status_code == 200
    assert after.status_code != 503 and 'data-reason-code="S02"' not in customer.page


async def test_waiting_screens_do_not_crowd_out_other_customers_but_have_a_bound_of_their_own(start_server, database_url, db):
    settings = replace(build_test_settings(database_url), max_in_flight=1, max_event_streams=1)
    server = await start_server(settings)
    await create_client(db)
    taro = await create_account(db, server.runtime.settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.enter_account(taro)
        await customer.enter_details(taro.birth_date)
        await customer.post("/flow/phone")
        async with http.stream("GET", "/flow/phone/events") as events:
            assert events.status_code == 200
            async with httpx.AsyncClient(base_url=server.url) as other:
                screen = await other.get("/flow/account")
            second_stream = await http.get("/flow/phone/events")
    assert screen.status_code != 503
    assert second_stream.status_code == 503


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
