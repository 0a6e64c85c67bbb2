"""Secrets rotated in daylight: what a customer or a clerk began before the rotation still completes after it.

A rotation is a rolling restart: servers with the old settings and servers with the
new ones serve the same flows side by side, on one database. Here an old-settings
server and a new-settings server run at once, and each browser hops from the old to
the new in the middle of its work.
"""

from __future__ import annotations

import httpx

from ivr.simulate import simulate_call
from server.oauth.dpop import dpop_nonce, nonce_is_fresh
from server.web.csrf import csrf_token
from tests.conftest import build_test_settings
from tests.flow.walk import TARO_PHONE, Customer, auth_number_of, csrf_of, reason_of
from tests.staff.conftest import PASSWORD, csrf_from

OLD_KEY, NEW_KEY = "the-session-key-before-the-rotation", "the-session-key-after-the-rotation"
OLD_TOKEN, NEW_TOKEN = "the-twilio-token-before-rotation", "the-twilio-token-after-rotation"


async def _servers(start_server, database_url: str, variable: str, old: str, new: str):  # type: ignore[no-untyped-def]
    """A server still on the old secret, and one restarted with the new secret first and the old one after it."""
    before = await start_server(build_test_settings(database_url, **{variable: old}))
    after = await start_server(build_test_settings(database_url, **{variable: f"{new},{old}"}))
    return before, after


async def test_a_flow_begun_under_the_old_session_key_completes_on_a_server_with_the_new_one(
    start_server, database_url, app_client, taro, db,  # type: ignore[no-untyped-def]
) -> None:
    before, after = await _servers(start_server, database_url, "RENKEI_SESSION_KEYS", OLD_KEY, NEW_KEY)
    async with httpx.AsyncClient(base_url=before.url, follow_redirects=False, timeout=20) as http:
        customer = Customer(http, before.runtime.settings)
        await customer.start()  # screen ①, its form signed with the old key
        flow_id = await db.fetchval("SELECT id FROM flow")
        assert csrf_of(customer.page) == csrf_token(OLD_KEY, flow_id)
        http.base_url, customer.settings = httpx.URL(after.url), after.runtime.settings
        await customer.through_pin(taro)  # ① posts the old key's token to the new server
        assert 'action="/flow/consent"' in customer.page, reason_of(customer.page)
        assert csrf_of(customer.page) == csrf_token(NEW_KEY, flow_id)  # new pages are signed with the new key


async def test_a_key_taken_off_the_list_no_longer_verifies(start_server, database_url, app_client, taro, db) -> None:  # type: ignore[no-untyped-def]
    before = await start_server(build_test_settings(database_url, RENKEI_SESSION_KEYS=OLD_KEY))
    only_new = await start_server(build_test_settings(database_url, RENKEI_SESSION_KEYS=NEW_KEY))
    async with httpx.AsyncClient(base_url=before.url, follow_redirects=False, timeout=20) as http:
        customer = Customer(http, before.runtime.settings)
        await customer.start()
        http.base_url = httpx.URL(only_new.url)
        refused = await customer.post("/flow/account", taro.form)  # Taro's right answers, under a key no longer listed
    assert refused.status_code == 403 and await db.fetchval("SELECT step FROM flow") == "account"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE detail->>'problem' = 'csrf'") == 1


async def test_a_clerk_signed_in_under_the_old_key_keeps_working_on_a_server_with_the_new_one(
    start_server, database_url, add_staff,  # type: ignore[no-untyped-def]
) -> None:
    before, after = await _servers(start_server, database_url, "RENKEI_SESSION_KEYS", OLD_KEY, NEW_KEY)
    await add_staff("branch001")
    async with httpx.AsyncClient(base_url=before.url, follow_redirects=False, timeout=10) as http:
        form = await http.get("/staff/login")  # the sign-in form, signed with the old key
        http.base_url = httpx.URL(after.url)
        signed_in = await http.post("/staff/login", data={"staff_id": "branch001", "password": PASSWORD,
                                                          "csrf_token": csrf_from(form.text)})
        assert signed_in.status_code == 303
        http.base_url = httpx.URL(before.url)
        old_key_token = (await http.get("/staff/api/session")).json()["csrf_token"]  # the session's token, old key
        http.base_url = httpx.URL(after.url)
        await http.post("/staff/logout", data={"csrf_token": "0" * 64})  # a wrong token ends nothing
        assert (await http.get("/staff/api/session")).status_code == 200
        await http.post("/staff/logout", data={"csrf_token": old_key_token})
        assert (await http.get("/staff/api/session")).status_code != 200  # the old key's token was honoured


def test_a_dpop_nonce_given_out_under_the_old_key_is_still_fresh(clock) -> None:  # type: ignore[no-untyped-def]
    nonce = dpop_nonce(OLD_KEY, clock.now())
    assert nonce_is_fresh((NEW_KEY, OLD_KEY), nonce, clock.now())
    assert not nonce_is_fresh((NEW_KEY,), nonce, clock.now())


async def test_a_call_signed_with_the_previous_twilio_token_still_matches(
    start_server, database_url, app_client, taro, db,  # type: ignore[no-untyped-def]
) -> None:
    after = await start_server(build_test_settings(database_url, TWILIO_AUTH_TOKENS=f"{NEW_TOKEN},{OLD_TOKEN}"))
    async with httpx.AsyncClient(base_url=after.url, follow_redirects=False, timeout=20) as http:
        customer = Customer(http, after.runtime.settings)
        await customer.start()
        await customer.through_identity(taro)
        await customer.post("/flow/phone")
        stranger = await simulate_call(after.url, "a-token-twilio-never-had-for-us", TARO_PHONE, auth_number_of(customer.page))
        assert stranger.status_code == 403
        # Twilio still signs with the previous token until the bank promotes the new one in its console.
        answer = await simulate_call(after.url, OLD_TOKEN, TARO_PHONE, auth_number_of(customer.page))
        assert answer.status_code == 200 and "<Reject" in answer.text
        await customer.post("/flow/phone/call")
        assert 'action="/flow/pin"' in customer.page
        after_promotion = await simulate_call(after.url, NEW_TOKEN, TARO_PHONE, "+815000000002")
        assert after_promotion.status_code == 200
