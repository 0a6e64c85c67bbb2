"""/introspect as the bank's resource servers use it, and revocation reaching every process."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from joserfc.jwk import KeySet

from server.db import tokens as token_queries
from server.oauth.jwt_tokens import new_private_key, write_key_file
from tests.oauth.factories import (App, add_account, add_client, add_code, add_resource_server, add_sandbox_app, assertion_form,
                                   new_key)
from tests.oauth.test_token_code import claims_of, exchange_form


@pytest.fixture
async def parties(db, clock):
    app = await add_sandbox_app(db, clock.now())
    rs = await add_resource_server(db, clock.now())
    account_id = await add_account(db, clock.now())
    return app, rs, account_id


async def issue(http: httpx.AsyncClient, db, clock, app, account_id) -> dict:
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await http.post("/token", data=exchange_form(code), auth=app.basic)
    assert response.status_code == 200, response.text
    return response.json()


async def introspect(http: httpx.AsyncClient, rs, token: str) -> dict:
    response = await http.post("/introspect", data={"token": token}, auth=rs.basic)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def test_a_live_access_token_introspects_active_with_its_scope_client_subject_and_account(client, server, db, clock, parties):
    app, rs, account_id = parties
    body = await issue(client, db, clock, app, account_id)
    answer = await introspect(client, rs, body["access_token"])
    _, claims = claims_of(body["access_token"])
    assert answer == {
        "active": True, "token_type": "Bearer", "scope": "accounts:read transactions:read", "client_id": app.client_id,
        "sub": claims["sub"], "aud": server.url + "/api", "iss": server.url, "exp": claims["exp"], "iat": claims["iat"],
        "jti": claims["jti"], "account": "001-1-1234567",
    }


async def test_a_refresh_token_introspects_active_until_it_is_rotated(client, db, clock, parties):
    app, rs, account_id = parties
    body = await issue(client, db, clock, app, account_id)
    answer = await introspect(client, rs, body["refresh_token"])
    assert answer["active"] is True and answer["token_type"] == "refresh_token" and answer["client_id"] == app.client_id
    await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=app.basic)
    assert await introspect(client, rs, body["refresh_token"]) == {"active": False}


async def test_a_resource_server_registered_with_keys_introspects_with_private_key_jwt(client, server, db, clock, parties):
    """introspection_endpoint_auth_methods_supported lists private_key_jwt, and it works for a resource server."""
    app, _, account_id = parties
    key = new_key()
    await add_client(db, client_id="balance-api-keys", kind="resource_server", profile="fapi2",
                     jwks={"keys": [key.as_dict(private=False)]}, now=clock.now())
    rs = App("balance-api-keys", "", key=key)
    body = await issue(client, db, clock, app, account_id)
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert "private_key_jwt" in metadata["introspection_endpoint_auth_methods_supported"]
    response = await client.post("/introspect", data={"token": body["access_token"],
                                                      **assertion_form(rs, audience=server.url, now=clock.now())})
    assert response.status_code == 200 and response.json()["active"] is True


@pytest.mark.parametrize(
    "token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x" * 5000],
    ids=["garbage", "three dots of nothing", "an unsigned JWT", "a very long string"],
)
async def test_something_that_is_not_our_token_introspects_inactive(client, parties, token):
    _, rs, _ = parties
    assert await introspect(client, rs, token) == {"active": False}


async def test_an_access_token_introspects_inactive_once_it_expires(client, db, clock, parties):
    app, rs, account_id = parties
    body = await issue(client, db, clock, app, account_id)
    clock.advance(seconds=600)
    assert await introspect(client, rs, body["access_token"]) == {"active": False}


async def test_the_access_token_of_a_replayed_code_introspects_inactive(client, db, clock, parties):
    app, rs, account_id = parties
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    first = (await client.post("/token", data=exchange_form(code), auth=app.basic)).json()
    assert (await introspect(client, rs, first["access_token"]))["active"] is True
    await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert await introspect(client, rs, first["access_token"]) == {"active": False}


async def test_an_app_may_not_introspect(client, db, clock, parties):
    app, _, account_id = parties
    body = await issue(client, db, clock, app, account_id)
    response = await client.post("/introspect", data={"token": body["access_token"]}, auth=app.basic)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_a_token_revoked_on_one_server_turns_inactive_on_another_straight_away(start_server, settings, db, clock, parties):
    app, rs, account_id = parties
    shared = replace(settings, public_url="https://renkei.example.jp")  # two processes behind one public URL
    one, other = await start_server(shared), await start_server(shared)
    async with httpx.AsyncClient(base_url=one.url) as first, httpx.AsyncClient(base_url=other.url) as second:
        body = await issue(first, db, clock, app, account_id)
        assert (await introspect(second, rs, body["access_token"]))["active"] is True
        await first.post("/revoke", data={"token": body["refresh_token"]}, auth=app.basic)
        assert await introspect_soon(second, rs, body["access_token"]) == {"active": False}


async def introspect_soon(http: httpx.AsyncClient, rs, token: str, *, within_seconds: float = 1.0) -> dict:
    """The answer once it turns inactive, or the last one after ``within_seconds``.

    A NOTIFY reaches the other processes right after the revoking commit, not in
    the same instant: usually well under a millisecond, but the test machine may be busy.
    """
    deadline = asyncio.get_running_loop().time() + within_seconds
    while True:
        answer = await introspect(http, rs, token)
        if not answer["active"] or asyncio.get_running_loop().time() > deadline:
            return answer
        await asyncio.sleep(0.005)


async def test_the_process_that_revokes_a_token_knows_it_before_any_notice_arrives(server, client, db, clock, parties):
    app, rs, account_id = parties
    body = await issue(client, db, clock, app, account_id)
    await server.runtime.extras["revocations"].close()  # no NOTIFY reaches this process any more
    await client.post("/revoke", data={"token": body["access_token"]}, auth=app.basic)
    assert await introspect(client, rs, body["access_token"]) == {"active": False}


async def test_a_revocation_made_while_the_listener_was_disconnected_shows_after_it_reconnects(server, client, db, clock, parties):
    app, rs, account_id = parties
    body = await issue(client, db, clock, app, account_id)
    revocations = server.runtime.extras["revocations"]
    listening = "application_name = 'renkei-listener' AND datname = current_database()"
    await db.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {listening}")
    while await db.fetchval(f"SELECT count(*) FROM pg_stat_activity WHERE {listening}"):
        await asyncio.sleep(0.01)
    grant_id = await db.fetchval("SELECT grant_id FROM access_token")
    async with db.acquire() as conn:
        await token_queries.revoke_grant(conn, grant_id, now=clock.now(), reason="test")
    while revocations.listener.connections < 2:
        await asyncio.sleep(0.05)
    assert await introspect(client, rs, body["access_token"]) == {"active": False}


async def test_a_token_signed_by_the_old_key_still_introspects_after_a_new_key_is_added_first(start_server, settings, db, clock, parties, tmp_path):
    app, rs, account_id = parties
    old, new = new_private_key(), new_private_key()
    keys_file = tmp_path / "signing-keys.json"
    write_key_file(keys_file, KeySet([old]))
    keyed = replace(settings, secrets=replace(settings.secrets, signing_keys_file=keys_file))
    before = await start_server(keyed)
    async with httpx.AsyncClient(base_url=before.url) as http:
        old_token = (await issue(http, db, clock, app, account_id))["access_token"]
    write_key_file(keys_file, KeySet([new, old]))
    after = await start_server(replace(keyed, public_url=before.url))
    async with httpx.AsyncClient(base_url=after.url) as http:
        assert (await introspect(http, rs, old_token))["active"] is True
        new_token = (await issue(http, db, clock, app, account_id))["access_token"]
        assert claims_of(new_token)[0]["kid"] == new.kid and claims_of(old_token)[0]["kid"] == old.kid
        published = [k["kid"] for k in (await http.get("/jwks")).json()["keys"]]
    assert published == [new.kid, old.kid]
