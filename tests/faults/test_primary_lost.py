"""The primary lost behind the app host's router: customers see S03 (the service is down for a moment), not S02.

While there is no primary the router holds new connections unanswered, so
the pool's acquire times out opening one. That wait is an outage, not an
overload: "busy, try again later" would send a customer back into the same
failover. tests/cluster shows the same through the real HAProxy and Patroni.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from tests.conftest import build_test_settings
from tests.faults.conftest import assert_outage_page, assert_temporarily_unavailable, outage_warnings
from tests.faults.router import PrimaryRouter
from tests.flow.walk import Customer, create_account, create_client, reason_of


@pytest.fixture
async def router(database_url: str) -> AsyncIterator[PrimaryRouter]:
    relay = PrimaryRouter(database_url)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.close()


async def _customer_on_screen_2(http: httpx.AsyncClient, router: PrimaryRouter, start_server, db, **database):  # type: ignore[no-untyped-def]
    """A server whose PostgreSQL is behind ``router`` ([database] as given), and Taro past screen ① on it."""
    settings = build_test_settings(router.url())
    server = await start_server(replace(settings, database=replace(settings.database, **database)))
    http.base_url = httpx.URL(server.url)
    await create_client(db)
    customer = Customer(http, server.runtime.settings)
    await customer.start()
    await customer.enter_account(await create_account(db, server.runtime.settings))
    assert reason_of(customer.page) is None
    return server


async def test_a_customer_reloading_a_screen_while_no_primary_answers_sees_s03_and_goes_on_once_one_does(
    router: PrimaryRouter, start_server, db, log_lines
):
    async with httpx.AsyncClient(timeout=10) as http:
        await _customer_on_screen_2(http, router, start_server, db, pool_min=1, pool_max=4, acquire_timeout_seconds=0.5)
        router.lose_primary()
        reloads = [await http.get("/flow/customer") for _ in range(2)]  # the first meets its session cut, the second waits
        token = await http.post("/token", data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "x"})

        router.primary_back()
        again = await http.get("/flow/customer")
    for reload in reloads:
        assert_outage_page(reload)
    assert_temporarily_unavailable(token)
    assert again.status_code == 200 and reason_of(again.text) is None
    assert [w["path"] for w in outage_warnings(log_lines)] == ["/flow/customer", "/flow/customer", "/token"]
    assert not [line for line in log_lines if "busy.no_database_connection" in line]


async def test_a_request_meeting_a_session_the_server_just_ended_gets_s03_and_the_next_one_a_fresh_connection(
    router: PrimaryRouter, start_server, db, log_lines
):
    """A switchover or a restart ends every session: PostgreSQL's FATAL message, then the close. A request that
    takes the idle pooled connection between the two is told the service is down for a moment (S03, 503; not
    a 500), and the customer's next reload works."""
    async with httpx.AsyncClient(timeout=10) as http:
        server = await _customer_on_screen_2(http, router, start_server, db, pool_min=1, pool_max=1)
        router.close_delay = 3
        async with server.runtime.pool.acquire() as conn:
            session = conn.get_server_pid()
        await db.execute("SELECT pg_terminate_backend($1)", session)  # as Patroni's shutdown of the old primary does
        await asyncio.sleep(0.5)  # the FATAL message has arrived; the close has not
        meanwhile = await http.get("/flow/customer")
        again = await http.get("/flow/customer")
    assert_outage_page(meanwhile)
    assert again.status_code == 200 and reason_of(again.text) is None
    assert [w["error"] for w in outage_warnings(log_lines)] == ["InternalClientError"]
