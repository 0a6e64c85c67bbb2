"""Screen ⑥: what the app asks for; approve gives a code (one transaction), deny gives access_denied."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from server.hashing import token_digest
from tests.flow.walk import APP_NAME, APP_OPERATOR, REDIRECT_URI, Customer, redirect_query


async def _at_consent(customer: Customer, account, **authorize) -> None:  # type: ignore[no-untyped-def]
    await customer.start(**authorize)
    await customer.through_pin(account)


async def test_the_consent_screen_shows_the_app_its_operator_the_scopes_and_the_masked_account(customer: Customer, taro):
    await _at_consent(customer, taro)
    page = customer.page
    assert APP_NAME in page and APP_OPERATOR in page
    assert "口座情報・残高の照会" in page and "入出金明細の照会" in page
    assert "001 普通 ***4567" in page and "1234567" not in page
    assert 'name="decision" value="approve"' in page and 'name="decision" value="deny"' in page


async def test_approval_creates_the_grant_the_code_and_the_notice_together(customer: Customer, taro, db, clock):
    await _at_consent(customer, taro, scope="accounts:read", dpop_jkt="0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    response = await customer.post("/flow/consent", {"decision": "approve"})
    answer = redirect_query(response)
    assert response.status_code == 303 and response.headers["location"].startswith(REDIRECT_URI + "?code=")
    assert answer["state"] == customer.params["state"] and answer["iss"] == customer.settings.issuer
    code = await db.fetchrow("SELECT * FROM authorization_code WHERE code_digest = $1", token_digest(answer["code"]))
    grant = await db.fetchrow("SELECT * FROM oauth_grant WHERE id = $1", code["grant_id"])
    assert code["client_id"] == "flow-test-app" and code["redirect_uri"] == REDIRECT_URI
    assert code["code_challenge"] == customer.params["code_challenge"]
    assert code["dpop_jkt"] == grant["dpop_jkt"] == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    assert code["expires_at"] - code["issued_at"] == timedelta(seconds=60) and code["used_at"] is None
    assert grant["account_id"] == taro.id and grant["scopes"] == ["accounts:read"]
    assert grant["expires_at"] == clock.now() + timedelta(days=90)
    notice = await db.fetchrow("SELECT * FROM email_outbox")
    assert notice["to_address"] == "taro@example.jp" and APP_NAME in notice["body"]
    assert "1234567" not in notice["body"]
    assert await db.fetchval("SELECT outcome FROM flow") == "approved"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'flow:consent:approve'") == 1


async def test_refusing_sends_access_denied_with_state_and_iss_and_creates_nothing(customer: Customer, taro, db):
    await _at_consent(customer, taro)
    response = await customer.post("/flow/consent", {"decision": "deny"})
    answer = redirect_query(response)
    assert answer["error"] == "access_denied" and answer["state"] == customer.params["state"]
    assert answer["iss"] == customer.settings.issuer
    assert await db.fetchval("SELECT count(*) FROM oauth_grant") == 0
    assert await db.fetchval("SELECT count(*) FROM email_outbox") == 0
    assert await db.fetchval("SELECT outcome FROM flow") == "denied"


async def test_an_unknown_decision_shows_the_screen_again(customer: Customer, taro, db):
    await _at_consent(customer, taro)
    response = await customer.post("/flow/consent", {"decision": "maybe"})
    assert response.status_code == 400 and 'action="/flow/consent"' in customer.page
    assert await db.fetchval("SELECT count(*) FROM oauth_grant") == 0


async def test_a_double_submitted_approval_creates_one_grant(customer: Customer, taro, db):
    await _at_consent(customer, taro)
    form = {"decision": "approve", "csrf_token": customer.page.split('name="csrf_token" value="')[1].split('"')[0]}
    first, second = await asyncio.gather(customer.http.post("/flow/consent", data=form), customer.http.post("/flow/consent", data=form))
    assert sorted([first.status_code, second.status_code]) == [303, 410]
    assert await db.fetchval("SELECT count(*) FROM oauth_grant") == 1
    assert await db.fetchval("SELECT count(*) FROM authorization_code") == 1
    assert await db.fetchval("SELECT count(*) FROM email_outbox") == 1


async def test_after_the_flow_ends_its_screens_say_so(customer: Customer, taro):
    await _at_consent(customer, taro)
    await customer.post("/flow/consent", {"decision": "approve"})
    response = await customer.http.get("/flow/consent")
    assert response.status_code == 410 and "このAPI連携認証はすでに終了しています" in response.text
