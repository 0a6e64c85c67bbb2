"""PostgreSQL down under a running server: every surface says "temporarily unavailable" in its own way.

Apps and resource servers get 503 ``temporarily_unavailable`` JSON with
Retry-After, clerks the S03 page or the API's JSON, a caller a Japanese
sentence; nobody gets a 500. Each request that is refused logs one warning and
counts once in /metrics; once the database is back the very same requests work,
with no server restart.
"""

from __future__ import annotations

import httpx
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from ivr.simulate import call_form, new_call_sid
from ivr.webhook import VOICE_PATH
from server.db.staff import insert_staff
from server.hashing import hash_password
from server.runtime import argon2_params
from tests.conftest import OPEN_HOURS, build_test_settings
from tests.faults.conftest import (OwnDatabase, add_app_and_taro, assert_outage_page, assert_temporarily_unavailable,
                                   outage_warnings, refused_so_far)
from tests.flow.walk import TARO_PHONE, Customer
from tests.oauth.factories import add_account, add_code, add_resource_server, add_sandbox_app
from tests.oauth.test_token_code import exchange_form
from tests.staff.conftest import PASSWORD, sign_in


async def test_the_oauth_endpoints_answer_503_temporarily_unavailable_while_the_database_is_down_and_work_when_it_is_back(
    own_database: OwnDatabase, start_server, clock, log_lines
):
    setup = await own_database.connect()
    app, resource_server = await add_sandbox_app(setup, clock.now()), await add_resource_server(setup, clock.now())
    account_id = await add_account(setup, clock.now())
    first, second = [await add_code(setup, app, account_id=account_id, now=clock.now()) for _ in range(2)]
    await setup.close()
    server = await start_server(build_test_settings(own_database.url))
    par_form = {"response_type": "code", "redirect_uri": app.redirect_uri, "code_challenge": "a" * 43,
                "code_challenge_method": "S256"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        refresh_token = (await http.post("/token", data=exchange_form(first), auth=app.basic)).json()["refresh_token"]
        calls = {
            "/par": lambda: http.post("/par", data=par_form, auth=app.basic),
            "/token": lambda: http.post("/token", data=exchange_form(second), auth=app.basic),
            "/introspect": lambda: http.post("/introspect", data={"token": refresh_token}, auth=resource_server.basic),
            "/revoke": lambda: http.post("/revoke", data={"token": refresh_token}, auth=app.basic),
        }
        refused_before = await refused_so_far(http)
        own_database.stop()
        for call in calls.values():
            assert_temporarily_unavailable(await call())
        refused = await refused_so_far(http) - refused_before
        own_database.start()
        answers = {path: await call() for path, call in calls.items()}
    assert {path: answer.status_code for path, answer in answers.items()} == {
        "/par": 201, "/token": 200, "/introspect": 200, "/revoke": 200}
    assert answers["/introspect"].json()["active"] is True
    assert refused == 4
    assert [w["path"] for w in outage_warnings(log_lines)] == list(calls)


async def test_the_staff_console_shows_s03_and_its_api_answers_503_json_while_the_database_is_down(
    own_database: OwnDatabase, start_server, clock
):
    settings = build_test_settings(own_database.url)
    setup = await own_database.connect()
    await insert_staff(setup, staff_id="clerk-1", branch_code="001", role="branch",
                       password_hash=hash_password(argon2_params(settings), PASSWORD), created_at=OPEN_HOURS)
    await setup.close()
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as clerk, \
            httpx.AsyncClient(base_url=server.url, timeout=10) as newcomer:
        assert (await sign_in(clerk, "clerk-1")).status_code == 303
        own_database.stop()
        assert_outage_page(await clerk.get("/staff/accounts"))
        assert_temporarily_unavailable(await clerk.get("/staff/api/session"))
        assert_outage_page(await sign_in(newcomer, "clerk-1"))  # the form still opens; signing in waits
        own_database.start()
        page, session = await clerk.get("/staff/accounts"), await clerk.get("/staff/api/session")
        signed_in = await sign_in(newcomer, "clerk-1")
    assert page.status_code == 200 and session.status_code == 200 and session.json()["staff_id"] == "clerk-1"
    assert signed_in.status_code == 303


async def _signed_call(http: httpx.AsyncClient, settings, to: str, *, signature: str | None = None) -> httpx.Response:  # type: ignore[no-untyped-def]
    form = call_form(TARO_PHONE, to, new_call_sid())
    if signature is None:
        signature = RequestValidator(settings.ivr.twilio_auth_token).compute_signature(settings.public_url + VOICE_PATH, form)
    return await http.post(VOICE_PATH, data=form, headers={SIGNATURE_HEADER: signature})


async def test_a_call_while_the_database_is_down_is_rejected_unanswered_and_calling_again_later_works(
    own_database: OwnDatabase, start_server, clock, log_lines
):
    settings = build_test_settings(own_database.url)
    taro = await add_app_and_taro(own_database, settings)
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.through_identity(taro)
        await customer.post("/flow/phone")  # screen ④ shows the number to call
        own_database.stop()
        forged = await _signed_call(http, server.runtime.settings, "+815000000001", signature="bad")
        during = await customer.call_in(taro.phones[0])
        own_database.start()
        again = await customer.call_in(taro.phones[0])
        await customer.post("/flow/phone/call")
    assert forged.status_code == 403  # the signature is checked before anything else
    assert during.status_code == 200 and during.headers["content-type"].startswith("application/xml")
    assert '<Reject reason="rejected" />' in during.text and "<Say" not in during.text  # free for the caller
    assert "<Reject" in again.text
    assert 'name="pin"' in customer.page
    warnings = outage_warnings(log_lines)
    assert [w["path"] for w in warnings] == [VOICE_PATH]
    assert not any(digits in line for line in log_lines if "database.unreachable" in line for digits in ("9012345678", "5000000001"))
