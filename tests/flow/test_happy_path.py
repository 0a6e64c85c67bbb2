"""The whole way through: ① to ⑥ over HTTP, ending at the app's redirect URI with a code."""

from __future__ import annotations

from server.hashing import token_digest
from tests.flow.walk import REDIRECT_URI, redirect_query


async def test_a_customer_who_gets_everything_right_returns_to_the_app_with_a_code(customer, taro, db, log_lines):
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
    secrets = [taro.account_number, taro.birth_date, taro.phones[0], "090-1234-5678", "taro@example.jp", answer["code"],
               customer.http.cookies["renkei_flow"]]
    # httpcore's trace of this test's own client shows what the browser received; the server's lines must not.
    client_trace = ('"event": "receive_response', '"event": "send_request', '"event": "HTTP Request')
    server_lines = [line for line in log_lines if not any(trace in line[:40] for trace in client_trace)]
    leaked = [line[:300] for line in server_lines if any(s in line for s in secrets)]
    assert leaked == []


async def test_each_step_is_counted_for_monitoring(customer, taro):
    await customer.start()
    await customer.enter_account(taro, account_number="0000001")
    metrics = await customer.http.get("/metrics")
    assert 'renkei_flow_steps_total{outcome="failure",reason="B81",step="account"}' in metrics.text
