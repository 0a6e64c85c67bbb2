"""/revoke (RFC 7009) as an app uses it when the customer unlinks it."""

from __future__ import annotations

import pytest

from tests.oauth.factories import add_account, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect, issue


@pytest.fixture
async def linked(client, db, clock):
    app = await add_sandbox_app(db, clock.now())
    rs = await add_resource_server(db, clock.now())
    account_id = await add_account(db, clock.now())
    return app, rs, await issue(client, db, clock, app, account_id)


async def test_revoking_a_refresh_token_ends_the_grant_and_its_access_tokens(client, db, linked):
    app, rs, body = linked
    response = await client.post("/revoke", data={"token": body["refresh_token"]}, auth=app.basic)
    assert response.status_code == 200 and response.content == b""
    assert await introspect(client, rs, body["access_token"]) == {"active": False}
    refresh = await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=app.basic)
    assert refresh.json()["error"] == "invalid_grant"
    assert await db.fetchval("SELECT outcome FROM operation_log WHERE event = 'oauth:grant:revoked'") == "info"


async def test_revoking_an_access_token_ends_that_token_only(client, linked):
    app, rs, body = linked
    await client.post("/revoke", data={"token": body["access_token"], "token_type_hint": "access_token"}, auth=app.basic)
    assert await introspect(client, rs, body["access_token"]) == {"active": False}
    refresh = await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=app.basic)
    assert refresh.status_code == 200
    assert (await introspect(client, rs, refresh.json()["access_token"]))["active"] is True


@pytest.mark.parametrize("token", ["unknown-refresh-token", "a.b.c"], ids=["an unknown refresh token", "an unknown JWT"])
async def test_revoking_an_unknown_token_answers_200(client, linked, token):
    app, _, _ = linked
    assert (await client.post("/revoke", data={"token": token}, auth=app.basic)).status_code == 200


async def test_an_app_cannot_revoke_another_apps_tokens_and_learns_nothing_by_trying(client, db, clock, linked):
    _, rs, body = linked
    other = await add_sandbox_app(db, clock.now(), client_id="other-app")
    for token in (body["access_token"], body["refresh_token"]):
        assert (await client.post("/revoke", data={"token": token}, auth=other.basic)).status_code == 200
    assert (await introspect(client, rs, body["access_token"]))["active"] is True


async def test_revocation_requires_client_authentication(client, linked):
    _, _, body = linked
    response = await client.post("/revoke", data={"token": body["refresh_token"]})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
