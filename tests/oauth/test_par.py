"""/par (RFC 9126): pushing an authorization request and redeeming its request_uri (once, or again by
the same browser until its flow is finished: tests/flow/test_authorize.py)."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from server.oauth.par import take_pushed_request
from tests.oauth.factories import REDIRECT_URI, add_sandbox_app, dpop_proof, new_key

VERIFIER = "v" * 64
BROWSER, OTHER_BROWSER = b"browser-1", b"browser-2"


def pushed(**overrides: str | None) -> dict[str, str]:
    form = {
        "response_type": "code", "redirect_uri": REDIRECT_URI, "scope": "accounts:read", "state": "s-123",
        "code_challenge": create_s256_code_challenge(VERIFIER), "code_challenge_method": "S256",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


@pytest.fixture
async def app(db, clock):
    return await add_sandbox_app(db, clock.now())


async def test_a_pushed_request_gets_a_request_uri_that_authorize_can_redeem_exactly_once(client, db, clock, app):
    response = await client.post("/par", data=pushed(), auth=app.basic)
    assert response.status_code == 201 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:") and body["expires_in"] == 90
    async with db.acquire() as conn:
        params = await take_pushed_request(conn, app.client_id, body["request_uri"], BROWSER, clock.now())
        assert params["redirect_uri"] == REDIRECT_URI and params["state"] == "s-123" and params["client_id"] == app.client_id
        assert await take_pushed_request(conn, app.client_id, body["request_uri"], OTHER_BROWSER, clock.now()) is None


async def test_a_request_uri_is_not_redeemable_by_another_client_nor_after_it_expires(client, db, clock, app):
    request_uri = (await client.post("/par", data=pushed(), auth=app.basic)).json()["request_uri"]
    async with db.acquire() as conn:
        assert await take_pushed_request(conn, "other-app", request_uri, BROWSER, clock.now()) is None
        clock.advance(seconds=90)
        assert await take_pushed_request(conn, app.client_id, request_uri, BROWSER, clock.now()) is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain", "code_challenge": VERIFIER[:43]}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"redirect_uri": None}, "invalid_request"),
        ({"scope": "accounts:read payments:write"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "invalid_request"),
    ],
    ids=["missing PKCE", "plain PKCE", "PKCE without a method", "an unregistered redirect uri", "no redirect uri",
         "a scope outside the client's", "the implicit flow", "a pushed request_uri", "a request object"],
)
async def test_a_pushed_request_is_refused_before_any_customer_sees_a_screen_for(client, app, change, error):
    response = await client.post("/par", data=pushed(**change), auth=app.basic)
    assert response.status_code == 400 and response.json()["error"] == error


async def test_a_dpop_proof_sent_with_the_push_binds_the_code_to_its_key(client, server, db, clock, app):
    key = new_key()
    proof = dpop_proof(key, "POST", server.url + "/par", clock.now())
    request_uri = (await client.post("/par", data=pushed(), auth=app.basic, headers={"DPoP": proof})).json()["request_uri"]
    async with db.acquire() as conn:
        params = await take_pushed_request(conn, app.client_id, request_uri, BROWSER, clock.now())
    assert params["dpop_jkt"] == key.thumbprint()


async def test_a_dpop_jkt_that_differs_from_the_proof_key_is_refused(client, server, clock, app):
    proof = dpop_proof(new_key(), "POST", server.url + "/par", clock.now())
    response = await client.post("/par", data=pushed(dpop_jkt=new_key().thumbprint()), auth=app.basic, headers={"DPoP": proof})
    assert response.json()["error"] == "invalid_dpop_proof"


async def test_an_unauthenticated_push_is_refused(client, app):
    response = await client.post("/par", data=pushed(client_id=app.client_id))
    assert response.status_code == 401
