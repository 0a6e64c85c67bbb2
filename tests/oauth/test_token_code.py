"""grant_type=authorization_code over real HTTP: what an app sees when it exchanges a code."""

from __future__ import annotations

import base64
import json

import pytest

from server.hashing import token_digest
from tests.oauth.factories import REDIRECT_URI, add_account, add_code, add_resource_server, add_sandbox_app


def exchange_form(issued, **overrides):
    form = {"grant_type": "authorization_code", "code": issued.value, "redirect_uri": REDIRECT_URI, "code_verifier": issued.verifier}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def claims_of(jwt_value: str) -> tuple[dict, dict]:
    header, payload, _ = jwt_value.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(payload)


@pytest.fixture
async def sandbox(db, clock):
    app = await add_sandbox_app(db, clock.now())
    account_id = await add_account(db, clock.now())
    return app, account_id


async def test_a_sandbox_app_exchanges_its_code_for_a_bearer_access_token_and_a_refresh_token(client, server, db, clock, sandbox, log_lines):
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "accounts:read transactions:read" and body["refresh_token"]
    header, claims = claims_of(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]
    assert claims["iss"] == server.url and claims["aud"] == server.url + "/api"
    assert claims["client_id"] == app.client_id and claims["grant"] == str(code.grant_id)
    assert "1234567" not in claims["sub"] and "cnf" not in claims
    assert claims["exp"] - claims["iat"] == 600
    assert await db.fetchval("SELECT count(*) FROM access_token WHERE jti = $1", claims["jti"]) == 1
    assert await db.fetchval("SELECT count(*) FROM refresh_token WHERE token_digest = $1", token_digest(body["refresh_token"])) == 1
    written = "\n".join(log_lines)
    for secret in (body["access_token"], body["refresh_token"], code.value, code.verifier, app.secret):
        assert secret not in written


async def test_a_replayed_code_is_refused_and_revokes_the_refresh_token_it_issued(client, db, clock, sandbox):
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    first = (await client.post("/token", data=exchange_form(code), auth=app.basic)).json()
    replay = await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "already used" in replay.json()["error_description"]
    refresh = await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, auth=app.basic)
    assert refresh.json()["error"] == "invalid_grant"
    grant = await db.fetchrow("SELECT revoked_at, revoked_reason FROM oauth_grant WHERE id = $1", code.grant_id)
    assert grant["revoked_reason"] == "code_replayed"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'oauth:code:replayed'") == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code_verifier": "W" * 43}, "code_verifier does not match"),
        ({"redirect_uri": "https://app.example.jp/other"}, "redirect_uri differs"),
        ({"code": "not-a-code-we-issued"}, "unknown"),
    ],
    ids=["a wrong verifier", "a mismatched redirect uri", "an unknown code"],
)
async def test_a_code_exchange_is_refused_with_invalid_grant_for(client, db, clock, sandbox, change, expected):
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await client.post("/token", data=exchange_form(code, **change), auth=app.basic)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant" and expected in response.json()["error_description"]
    # A refused attempt does not burn the code: the rightful app can still redeem it.
    assert (await client.post("/token", data=exchange_form(code), auth=app.basic)).status_code == 200


async def test_a_plain_pkce_verifier_equal_to_the_challenge_is_refused(client, db, clock, sandbox):
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    challenge = await db.fetchval("SELECT code_challenge FROM authorization_code WHERE grant_id = $1", code.grant_id)
    response = await client.post("/token", data=exchange_form(code, code_verifier=challenge), auth=app.basic)
    assert response.json()["error"] == "invalid_grant"


async def test_a_code_is_refused_61_seconds_after_it_was_issued(client, db, clock, sandbox):
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    clock.advance(seconds=61)
    response = await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert response.json() == {"error": "invalid_grant", "error_description": "the authorization code has expired"}


async def test_another_apps_code_is_refused(client, db, clock, sandbox):
    app, account_id = sandbox
    other = await add_sandbox_app(db, clock.now(), client_id="other-app")
    code = await add_code(db, other, account_id=account_id, now=clock.now())
    response = await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "credentials",
    [("unknown-app", "whatever"), ("sandbox-app", "wrong-secret"), ("sandbox-app", "")],
    ids=["an unknown client", "a wrong secret", "an empty secret"],
)
async def test_client_authentication_fails_with_401_and_a_challenge_for(client, db, clock, sandbox, credentials):
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await client.post("/token", data=exchange_form(code), auth=credentials)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.headers["cache-control"] == "no-store"


async def test_a_sandbox_app_may_send_its_secret_in_the_form_body(client, db, clock, sandbox):
    """client_secret_post: openid-client's default, accepted for sandbox apps."""
    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    form = exchange_form(code, client_id=app.client_id, client_secret=app.secret)
    response = await client.post("/token", data=form)
    assert response.status_code == 200, response.text
    wrong = await client.post("/token", data={**form, "client_secret": "guess"})
    assert wrong.status_code == 401 and "www-authenticate" not in wrong.headers


async def test_a_secret_in_the_form_body_is_refused_for_a_resource_server_and_beside_basic(client, db, clock, sandbox):
    app, account_id = sandbox
    rs = await add_resource_server(db, clock.now())
    posted = await client.post("/introspect", data={"token": "x", "client_id": rs.client_id, "client_secret": rs.secret})
    assert posted.status_code == 401 and "sandbox apps only" in posted.json()["error_description"]
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    both = await client.post("/token", data=exchange_form(code, client_id=app.client_id, client_secret=app.secret), auth=app.basic)
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


async def test_a_resource_server_cannot_obtain_tokens(client, db, clock, sandbox):
    app, account_id = sandbox
    rs = await add_resource_server(db, clock.now())
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await client.post("/token", data=exchange_form(code), auth=rs.basic)
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("body", "headers", "error"),
    [
        ("grant_type=client_credentials", {}, "unsupported_grant_type"),
        ("code=x", {}, "invalid_request"),
        ("grant_type=authorization_code&grant_type=authorization_code", {}, "invalid_request"),
        ("grant_type=authorization_code&redirect_uri=x&code_verifier=" + "a" * 43, {}, "invalid_request"),
        ("grant_type=authorization_code&code=x&redirect_uri=x&code_verifier=short", {}, "invalid_request"),
        ('{"grant_type": "authorization_code"}', {"content-type": "application/json"}, "invalid_request"),
        ("grant_type=%ff%fe", {}, "invalid_request"),
    ],
    ids=["another grant type", "no grant type", "a repeated parameter", "no code", "a short verifier", "a JSON body", "bad encoding"],
)
async def test_a_malformed_token_request_gets_an_oauth_error_never_a_500(client, sandbox, body, headers, error):
    app, _ = sandbox
    response = await client.post(
        "/token", content=body, auth=app.basic, headers={"content-type": "application/x-www-form-urlencoded", **headers}
    )
    assert response.status_code == 400 and response.json()["error"] == error


@pytest.mark.parametrize("authorization", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc"])
async def test_malformed_basic_credentials_get_401_never_a_500(client, sandbox, authorization):
    response = await client.post("/token", data={"grant_type": "authorization_code"}, headers={"authorization": authorization})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_when_no_database_connection_comes_in_time_the_app_is_told_to_retry_later(start_server, settings, db, clock, sandbox):
    from dataclasses import replace

    import httpx

    app, account_id = sandbox
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    tight = replace(settings, database=replace(settings.database, pool_min=1, pool_max=1, acquire_timeout_seconds=0.2))
    running = await start_server(tight)
    async with running.runtime.pool.acquire(), httpx.AsyncClient(base_url=running.url) as http:  # every connection busy
        response = await http.post("/token", data=exchange_form(code), auth=app.basic)
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert response.headers["retry-after"]
