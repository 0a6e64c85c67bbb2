"""The whole way through: ① to ⑥ over HTTP, ending at the app's redirect URI with a code."""

from __future__ import annotations

from server.hashing import token_digest
from tests.flow.walk import REDIRECT_URI, redirect_query


async def test_a_customer_who_gets_everything_right_returns_to_the_app_with_a_code(customer, taro, db):
    await customer.start()
    assert "/flow/account" in customer.page or 'action="/flow/account"' in customer.page
    await customer.through_pin(taro)
    assert 'action="/flow/consent"' in customer.page
    response = await customer.post("/flow/consent", {"decision": "approve"})
    assert response.status_code == 303
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    answer = redirect_query(response)
    assert answer["state"] == customer.params["state"]
    assert answer["iss"] == customer.settings.issuer
    row = await db.fetchrow("SELECT * FROM authorization_code WHERE code_digest = $1", token_digest(answer["code"]))
    assert row is not None and row["redirect_uri"] == REDIRECT_URI


async def test_each_step_is_counted_for_monitoring(customer, taro):
    await customer.start()
    await customer.enter_account(taro, account_number="0000001")
    metrics = await customer.http.get("/metrics")
    assert 'renkei_flow_steps_total{outcome="failure",reason="B81",step="account"}' in metrics.text
