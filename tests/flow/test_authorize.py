"""GET /authorize: who gets an error page, who gets an error at their redirect URI, and who gets a flow."""

from __future__ import annotations

import httpx
import pytest

from server.hashing import token_digest
from tests.flow.walk import REDIRECT_URI, Customer, authorize_params, create_client, redirect_query


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"client_id": None}, "no client_id"),
        ({"client_id": "no-such-app"}, "unknown client"),
        ({"client_id": "disabled-app"}, "disabled client"),
        ({"redirect_uri": "http://127.0.0.1:8080/callback/"}, "redirect URI not registered exactly"),
        ({"redirect_uri": "https://evil.example/callback"}, "foreign redirect URI"),
        ({"redirect_uri": None}, "no redirect URI"),
    ],
)
async def test_a_request_we_cannot_trust_gets_an_error_page_never_a_redirect(client, db, app_client, overrides, why):
    await create_client(db, "disabled-app", disabled=True)
    response = await client.get("/authorize", params=authorize_params(**overrides))
    assert response.status_code == 400, why
    assert "location" not in response.headers
    assert "アプリからのご依頼を受け付けできませんでした" in response.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "accounts:read payments:write"}, "invalid_scope"),
        ({"dpop_jkt": "not a thumbprint"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"state": "s" * 1025}, "invalid_request"),
    ],
)
async def test_other_problems_go_back_to_the_app_with_error_state_and_iss(client, app_client, settings, overrides, error):
    params = authorize_params(**overrides)
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    answer = redirect_query(response)
    assert answer["error"] == error
    assert answer["error_description"]
    assert answer["iss"] == client.base_url.scheme + "://" + client.base_url.host + f":{client.base_url.port}"
    if len(params.get("state", "")) <= 1024:
        assert answer["state"] == params["state"]
    else:
        assert "state" not in answer


async def test_a_repeated_parameter_is_an_invalid_request(client, app_client):
    params = list(authorize_params().items()) + [("scope", "accounts:read")]
    response = await client.get("/authorize", params=params)
    assert redirect_query(response)["error"] == "invalid_request"


async def test_a_good_request_starts_a_flow_behind_a_locked_down_cookie(client, app_client, db):
    params = authorize_params(scope="accounts:read", dpop_jkt="0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    response = await client.get("/authorize", params=params)
    assert response.status_code == 302
    assert response.headers["location"] == "/flow/account"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/flow" in cookie
    assert "Secure" not in cookie  # plain http in tests; Secure whenever the public URL is https
    value = cookie.split(";")[0].split("=", 1)[1]
    flow = await db.fetchrow("SELECT * FROM flow WHERE cookie_digest = $1", token_digest(value))
    assert flow["step"] == "account" and flow["scopes"] == ["accounts:read"]
    assert flow["dpop_jkt"] == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    assert flow["code_challenge"] == params["code_challenge"]
    assert await db.fetchval("SELECT count(*) FROM flow WHERE cookie_digest = $1", value.encode()) == 0


async def test_without_a_scope_the_app_gets_its_registered_scopes(client, app_client, db):
    await client.get("/authorize", params=authorize_params(scope=None))
    assert await db.fetchval("SELECT scopes FROM flow") == ["accounts:read", "transactions:read"]


async def test_a_fapi2_client_must_use_par(client, db):
    await create_client(db, "fapi-app", profile="fapi2")
    response = await client.get("/authorize", params=authorize_params("fapi-app"))
    assert response.status_code == 400 and "location" not in response.headers


async def test_an_unknown_request_uri_gets_an_error_page(client, app_client):
    response = await client.get("/authorize", params={"client_id": "flow-test-app", "request_uri": "urn:ietf:params:oauth:request_uri:nope"})
    assert response.status_code == 400 and "location" not in response.headers


async def test_the_flow_records_who_started_it_in_the_operation_log(customer: Customer, db):
    await customer.start()
    row = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'flow:authorize:start'")
    assert row["client_id"] == "flow-test-app" and row["ip"] == "127.0.0.1"


async def _push(db, client_id: str, params: dict[str, str], clock) -> str:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from server.db import par_requests
    from server.oauth.par import REQUEST_URI_PREFIX

    request_uri = REQUEST_URI_PREFIX + "test-" + params["state"]
    await par_requests.insert_pushed_request(db, request_uri_digest=token_digest(request_uri), client_id=client_id,
                                             params=params, now=clock.now(), expires_at=clock.now() + timedelta(seconds=90))
    return request_uri


async def test_a_fapi2_client_starts_with_its_pushed_request_once_and_gets_303(client, db, clock):
    await create_client(db, "fapi-app", profile="fapi2")
    params = authorize_params("fapi-app", dpop_jkt="0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    request_uri = await _push(db, "fapi-app", params, clock)
    first = await client.get("/authorize", params={"client_id": "fapi-app", "request_uri": request_uri})
    assert first.status_code == 303 and first.headers["location"] == "/flow/account"
    flow = await db.fetchrow("SELECT * FROM flow")
    assert flow["code_challenge"] == params["code_challenge"] and flow["state"] == params["state"]
    assert flow["dpop_jkt"] == params["dpop_jkt"]
    async with httpx.AsyncClient(base_url=str(client.base_url)) as another_browser:
        elsewhere = await another_browser.get("/authorize", params={"client_id": "fapi-app", "request_uri": request_uri})
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers


async def test_the_same_browser_may_reopen_a_pushed_request_until_its_flow_is_finished(client, db, clock):
    """FAPI 2.0 §5.3.2.2: an in-app browser that reloads (or a link preview in the same browser) still
    reaches screen ①; another browser, a finished flow or an expired request_uri reaches nothing."""
    await create_client(db, "fapi-app", profile="fapi2")
    request_uri = await _push(db, "fapi-app", authorize_params("fapi-app"), clock)
    query = {"client_id": "fapi-app", "request_uri": request_uri}
    assert (await client.get("/authorize", params=query)).status_code == 303
    reloaded = await client.get("/authorize", params=query)
    assert reloaded.status_code == 303 and reloaded.headers["location"] == "/flow/account"
    assert await db.fetchval("SELECT count(*) FROM flow") == 2  # each opening starts afresh at screen ①
    latest = await db.fetchval("SELECT flow_id FROM par_request")
    await db.execute("UPDATE flow SET finished_at = $2, outcome = 'approved' WHERE id = $1", latest, clock.now())
    assert (await client.get("/authorize", params=query)).status_code == 400


async def test_the_same_browser_cannot_reopen_a_pushed_request_after_it_expires(client, db, clock):
    await create_client(db, "fapi-app", profile="fapi2")
    request_uri = await _push(db, "fapi-app", authorize_params("fapi-app"), clock)
    query = {"client_id": "fapi-app", "request_uri": request_uri}
    assert (await client.get("/authorize", params=query)).status_code == 303
    clock.advance(seconds=90)
    assert (await client.get("/authorize", params=query)).status_code == 400


async def test_a_pushed_request_belongs_to_the_client_that_pushed_it(client, db, clock, app_client):
    await create_client(db, "fapi-app", profile="fapi2")
    request_uri = await _push(db, "fapi-app", authorize_params("fapi-app"), clock)
    response = await client.get("/authorize", params={"client_id": app_client, "request_uri": request_uri})
    assert response.status_code == 400 and "location" not in response.headers


async def test_query_parameters_beside_a_pushed_request_are_ignored(client, db, clock):
    await create_client(db, "fapi-app", profile="fapi2")
    params = authorize_params("fapi-app", scope="accounts:read")
    request_uri = await _push(db, "fapi-app", params, clock)
    await client.get("/authorize", params={"client_id": "fapi-app", "request_uri": request_uri,
                                           "scope": "transactions:read", "redirect_uri": "https://evil.example/"})
    flow = await db.fetchrow("SELECT scopes, redirect_uri FROM flow")
    assert flow["scopes"] == ["accounts:read"] and flow["redirect_uri"] == REDIRECT_URI
