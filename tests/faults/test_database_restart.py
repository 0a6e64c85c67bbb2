"""PostgreSQL restarted in the middle of a customer's flow, on a database of this test's own.

While the database is away every screen answers at once with S03 as a
temporary unavailability (503, Retry-After), sets no cookie, and /readyz says
unavailable; when it is back the same browser goes on from the screen it was
on, with no server restart, and the flow completes.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import build_test_settings
from tests.faults.conftest import OwnDatabase, add_app_and_taro, assert_outage_page, outage_warnings
from tests.flow.walk import Customer, authorize_params, redirect_query


async def test_a_database_restart_mid_flow_shows_s03_as_503_meanwhile_and_the_flow_goes_on_by_itself(
    own_database: OwnDatabase, start_server, clock, log_lines
):
    settings = build_test_settings(own_database.url)
    taro = await add_app_and_taro(own_database, settings)
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.enter_account(taro)
        cookies_before = dict(http.cookies)

        own_database.stop()
        shown = await asyncio.wait_for(http.get("/flow/customer"), 5)
        submitted = await asyncio.wait_for(http.post("/flow/customer", data={"birth_date": taro.birth_date}), 5)
        authorize = await asyncio.wait_for(http.get("/authorize", params=authorize_params()), 5)
        for response in (shown, submitted, authorize):
            assert_outage_page(response)
        assert dict(http.cookies) == cookies_before
        assert (await http.get("/readyz")).status_code == 503
        assert (await http.get("/healthz")).status_code == 200

        own_database.start()
        back = await http.get("/flow/customer")
        assert back.status_code == 200 and 'action="/flow/customer"' in back.text
        customer.page = back.text
        await customer.enter_details(taro.birth_date)
        await customer.post("/flow/phone")
        await customer.call_in(taro.phones[0])
        await customer.post("/flow/phone/call")
        await customer.post("/flow/pin", {"pin": taro.pin})
        done = await customer.post("/flow/consent", {"decision": "approve"})
    assert "code" in redirect_query(done)
    check = await own_database.connect()
    try:
        assert await check.fetchval("SELECT count(*) FROM oauth_grant") == 1
    finally:
        await check.close()
    warnings = outage_warnings(log_lines)
    assert [w["path"] for w in warnings] == ["/flow/customer", "/flow/customer", "/authorize"]
    assert all(w["level"] == "warning" and set(w) >= {"request_id", "error"} for w in warnings)
