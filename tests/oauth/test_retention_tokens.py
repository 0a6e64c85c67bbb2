"""Housekeeping never takes what the token side still reads: rotated refresh tokens of a live
grant (reuse must still revoke it), revoked access tokens not yet expired, used codes."""

from __future__ import annotations

import httpx

from server.oauth.housekeeping import housekeeping_round
from tests.oauth.factories import add_account, add_code, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect
from tests.oauth.test_token_code import exchange_form
from tests.oauth.test_token_refresh import refresh_form


async def test_a_rotated_refresh_token_of_a_live_grant_still_revokes_the_grant_after_housekeeping(
        server, client, db, clock) -> None:  # type: ignore[no-untyped-def]
    app = await add_sandbox_app(db, clock.now())
    code = await add_code(db, app, account_id=await add_account(db, clock.now()), now=clock.now())
    first = (await client.post("/token", data=exchange_form(code), auth=app.basic)).json()
    body = first
    for _ in range(3):  # used every 25 days: the grant lives 90 days
        clock.advance(days=25)
        body = (await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)).json()
    clock.advance(days=10)  # day 85: all four access tokens expired days ago; the grant lives
    counts = await housekeeping_round(server.runtime)
    assert counts is not None and counts["access_token"] == 4 and counts["refresh_token"] == 0
    assert await db.fetchval("SELECT count(*) FROM refresh_token WHERE rotated_at IS NOT NULL") == 3
    reuse = await client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic)
    assert reuse.json()["error"] == "invalid_grant" and "revoked" in reuse.json()["error_description"]
    assert await db.fetchval("SELECT revoked_reason FROM oauth_grant") == "refresh_token_reused"


async def test_a_revoked_access_token_stays_inactive_across_housekeeping_and_a_restart(
        start_server, settings, server, client, db, clock) -> None:  # type: ignore[no-untyped-def]
    app, rs = await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now())
    code = await add_code(db, app, account_id=await add_account(db, clock.now()), now=clock.now())
    tokens = (await client.post("/token", data=exchange_form(code), auth=app.basic)).json()
    assert (await client.post("/revoke", data={"token": tokens["access_token"]}, auth=app.basic)).status_code == 200
    clock.advance(minutes=9)
    assert await housekeeping_round(server.runtime) is not None
    assert await db.fetchval("SELECT count(*) FROM access_token WHERE revoked_at IS NOT NULL") == 1
    other = await start_server(settings)  # a process started later loads the revocation set from the table
    async with httpx.AsyncClient(base_url=other.url) as fresh:
        assert (await introspect(fresh, rs, tokens["access_token"]))["active"] is False


async def test_a_used_code_presented_again_weeks_later_still_revokes_the_grant(server, client, db, clock) -> None:  # type: ignore[no-untyped-def]
    app = await add_sandbox_app(db, clock.now())
    code = await add_code(db, app, account_id=await add_account(db, clock.now()), now=clock.now())
    assert (await client.post("/token", data=exchange_form(code), auth=app.basic)).status_code == 200
    clock.advance(days=20)
    await housekeeping_round(server.runtime)
    again = await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert again.json()["error"] == "invalid_grant" and "revoked" in again.json()["error_description"]
    assert await db.fetchval("SELECT revoked_reason FROM oauth_grant") == "code_replayed"
