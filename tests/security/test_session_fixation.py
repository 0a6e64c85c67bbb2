"""Session fixation: a flow cookie planted in the customer's browser before they start is worth nothing.

Every /authorize starts a new flow behind a new random cookie, so a customer
who starts from their app never continues a flow someone else prepared; the
planted cookie's flow learns nothing of what the customer then does. (The staff
console's equivalent: tests/staff/test_login.py, a session id planted before
sign-in is replaced.)
"""

from __future__ import annotations

import httpx

from tests.flow.walk import Customer, authorize_params


async def test_a_flow_cookie_planted_before_the_customer_starts_is_replaced_and_learns_nothing(server, app_client, taro, db):
    async with httpx.AsyncClient(base_url=server.url) as attacker_http, httpx.AsyncClient(base_url=server.url) as victim_http:
        attacker = Customer(attacker_http, server.runtime.settings)
        await attacker.start()
        planted = attacker_http.cookies["renkei_flow"]
        victim = Customer(victim_http, server.runtime.settings)
        started = await victim_http.get("/authorize", params=authorize_params(), headers={"Cookie": f"renkei_flow={planted}"})
        assert started.cookies["renkei_flow"] not in ("", planted)  # a fresh flow behind a fresh cookie
        await victim.open("/flow/account")
        await victim.through_identity(taro)
        assert 'action="/flow/phone"' in victim.page
        # The attacker's flow is still at screen ①, with no account and nothing the victim entered.
        back = await attacker_http.get("/flow/customer")
        assert back.status_code == 303 and back.headers["location"] == "/flow/account"
    rows = await db.fetch("SELECT account_id, step FROM flow")
    assert {(r["account_id"], r["step"]) for r in rows} == {(None, "account"), (taro.id, "phone")}
