"""The demo bank API answers only a live DPoP-bound token with a proof for this very request and key,
in both its modes (introspection at /introspect, JWT verification against /jwks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from joserfc.jwk import ECKey

from demo.bank_api.app import create_bank_api
from demo.fintech_app import fapi2_client
from server import demo as seed
from tests.conftest import RunningServer, free_port
from tests.demo.conftest import running
from tests.flow.walk import create_account
from tests.oauth.factories import App, add_code


async def linked(world, db, clock, *, scopes: list[str] | None = None,  # type: ignore[no-untyped-def]
                 account_id: int | None = None) -> fapi2_client.Tokens:
    """Tokens of the demo app for Taro's account, bound to a new DPoP key, from Renkei's real /token."""
    client, dpop_key = world.demo_app.client, ECKey.generate_key("P-256", private=True)
    code = await add_code(db, App(client.client_id, client.redirect_uri), account_id=account_id or world.taro.id,
                          now=clock.now(), dpop_jkt=dpop_key.thumbprint())
    if scopes is not None:
        await db.execute("UPDATE oauth_grant SET scopes = $2 WHERE id = $1", code.grant_id, scopes)
    pending = fapi2_client.PendingLink("state", code.verifier, dpop_key)
    return await fapi2_client.exchange_code(client, await world.demo_app.server_metadata(), code.value, pending)


async def call(world, tokens, path: str = "/accounts/me", *, base: str | None = None, scheme: str = "DPoP",  # type: ignore[no-untyped-def]
               proof: str | None = None, key: ECKey | None = None, ath_of: str | None = None, nonce: str | None = None) -> httpx.Response:
    url = (base or world.bank_api.url) + path
    if proof is None:
        proof = world.demo_app.client.dpop_proof(key or tokens.dpop_key, "GET", url, access_token=ath_of or tokens.access_token,
                                                 nonce=nonce)
    async with httpx.AsyncClient() as http:
        return await http.get(url, headers={"Authorization": f"{scheme} {tokens.access_token}", "DPoP": proof})


def challenge_error(response: httpx.Response) -> str | None:
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("DPoP ")
    return challenge.split('error="')[1].split('"')[0] if 'error="' in challenge else None


@pytest.fixture
async def jwt_bank_api(demo_world, clock) -> AsyncIterator[RunningServer]:  # type: ignore[no-untyped-def]
    port = free_port()
    app = create_bank_api(issuer=demo_world.renkei.url, public_url=f"http://127.0.0.1:{port}", mode="jwt",
                          credentials=(seed.DEMO_BANK_API_ID, seed.DEMO_BANK_API_SECRET), clock=lambda: clock.now().timestamp())
    started = await running(app, port)
    yield started
    await started.stop()


@pytest.mark.parametrize("mode", ["introspection", "jwt"])
async def test_a_live_dpop_bound_token_reads_the_account_and_its_statement(demo_world, jwt_bank_api, db, clock, mode):
    tokens = await linked(demo_world, db, clock)
    base = demo_world.bank_api.url if mode == "introspection" else jwt_bank_api.url
    account = await call(demo_world, tokens, base=base)
    assert account.status_code == 200, account.text
    assert account.json()["account"] == {"type": "普通", "number": "001-****567"} and account.headers["cache-control"] == "no-store"
    statement = await call(demo_world, tokens, "/accounts/me/transactions", base=base)
    assert statement.status_code == 200 and statement.json()["transactions"][0]["balance"] == account.json()["balance"]


async def test_a_call_without_a_token_gets_a_bare_dpop_challenge(demo_world):
    async with httpx.AsyncClient() as http:
        response = await http.get(demo_world.bank_api.url + "/accounts/me")
    assert response.status_code == 401 and challenge_error(response) is None  # RFC 6750 §3.1: no error code without credentials
    assert 'algs="ES256 PS256 EdDSA"' in response.headers["www-authenticate"]


async def test_a_dpop_token_sent_as_a_bearer_token_is_refused(demo_world, db, clock):
    tokens = await linked(demo_world, db, clock)
    response = await call(demo_world, tokens, scheme="Bearer")
    assert response.status_code == 401 and challenge_error(response) == "invalid_token"


async def test_a_replayed_proof_is_refused(demo_world, db, clock):
    tokens = await linked(demo_world, db, clock)
    proof = demo_world.demo_app.client.dpop_proof(tokens.dpop_key, "GET", demo_world.bank_api.url + "/accounts/me",
                                                  access_token=tokens.access_token)
    assert (await call(demo_world, tokens, proof=proof)).status_code == 200
    replay = await call(demo_world, tokens, proof=proof)
    assert replay.status_code == 401 and challenge_error(replay) == "invalid_dpop_proof"


@pytest.mark.parametrize("case", ["another key", "a wrong ath", "another URL"])
async def test_a_proof_that_does_not_bind_this_request_to_the_tokens_key_is_refused(demo_world, db, clock, case):
    tokens = await linked(demo_world, db, clock)
    if case == "another key":
        response = await call(demo_world, tokens, key=ECKey.generate_key("P-256", private=True))
    elif case == "a wrong ath":
        response = await call(demo_world, tokens, ath_of="another-access-token")
    else:
        proof = demo_world.demo_app.client.dpop_proof(tokens.dpop_key, "GET", demo_world.bank_api.url + "/accounts/me",
                                                      access_token=tokens.access_token)
        response = await call(demo_world, tokens, "/accounts/me/transactions", proof=proof)
    assert response.status_code == 401 and challenge_error(response) == "invalid_dpop_proof"


@pytest.mark.parametrize("mode", ["introspection", "jwt"])
async def test_an_expired_token_is_refused(demo_world, jwt_bank_api, db, clock, mode):
    tokens = await linked(demo_world, db, clock)
    clock.advance(seconds=601)
    response = await call(demo_world, tokens, base=demo_world.bank_api.url if mode == "introspection" else jwt_bank_api.url)
    assert response.status_code == 401 and challenge_error(response) == "invalid_token"


async def test_a_revoked_token_is_refused_at_once(demo_world, db, clock):
    tokens = await linked(demo_world, db, clock)
    assert (await call(demo_world, tokens)).status_code == 200
    await fapi2_client.revoke(demo_world.demo_app.client, await demo_world.demo_app.server_metadata(), tokens)
    response = await call(demo_world, tokens)
    assert response.status_code == 401 and challenge_error(response) == "invalid_token"


async def test_a_token_without_transactions_read_gets_the_balance_but_not_the_statement(demo_world, db, clock):
    tokens = await linked(demo_world, db, clock, scopes=["accounts:read"])
    assert (await call(demo_world, tokens)).status_code == 200
    response = await call(demo_world, tokens, "/accounts/me/transactions")
    assert response.status_code == 403 and challenge_error(response) == "insufficient_scope"
    assert 'scope="transactions:read"' in response.headers["www-authenticate"]


async def test_an_api_that_requires_nonces_answers_use_dpop_nonce_then_accepts_the_nonce(demo_world, db, clock):
    port = free_port()
    app = create_bank_api(issuer=demo_world.renkei.url, public_url=f"http://127.0.0.1:{port}", require_nonce=True,
                          credentials=(seed.DEMO_BANK_API_ID, seed.DEMO_BANK_API_SECRET), clock=lambda: clock.now().timestamp())
    nonce_api = await running(app, port)
    try:
        tokens = await linked(demo_world, db, clock)
        first = await call(demo_world, tokens, base=nonce_api.url)
        assert first.status_code == 401 and challenge_error(first) == "use_dpop_nonce" and first.headers["dpop-nonce"]
        again = await call(demo_world, tokens, base=nonce_api.url, nonce=first.headers["dpop-nonce"])
        assert again.status_code == 200, again.text
    finally:
        await nonce_api.stop()


async def test_an_account_the_bank_api_does_not_hold_is_a_404_not_a_server_error(demo_world, db, clock, settings):
    stranger = await create_account(db, settings, branch_code="003", account_number="3333333")
    tokens = await linked(demo_world, db, clock, account_id=stranger.id)
    for path in ("/accounts/me", "/accounts/me/transactions"):
        response = await call(demo_world, tokens, path)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
