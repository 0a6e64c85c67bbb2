"""grant_type=refresh_token: rotation, reuse, parallel use, and how long a grant lives."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest
from prometheus_client import REGISTRY

from server.clock import TOKYO
from tests.oauth.factories import add_account, add_code, add_sandbox_app
from tests.oauth.test_client_cache import counted_server  # noqa: F401  (fixture)
from tests.oauth.test_token_code import exchange_form


@pytest.fixture
async def tokens(client, db, clock):
    """A sandbox app holding fresh tokens for one grant."""
    app = await add_sandbox_app(db, clock.now())
    account_id = await add_account(db, clock.now())
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    body = (await client.post("/token", data=exchange_form(code), auth=app.basic)).json()
    return app, code.grant_id, body


def refreshes_counted() -> float:
    return REGISTRY.get_sample_value("renkei_tokens_issued_total", {"grant_type": "refresh_token"}) or 0.0


def refresh_form(refresh_token: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}


async def test_a_sandbox_refresh_token_rotates_and_the_new_one_works(client, tokens):
    app, _, first = tokens
    refreshes = refreshes_counted()
    second = await client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic)
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    third = await client.post("/token", data=refresh_form(second.json()["refresh_token"]), auth=app.basic)
    assert third.status_code == 200
    assert refreshes_counted() == refreshes + 2  # what /metrics shows


async def test_a_reused_refresh_token_revokes_the_whole_grant(client, db, tokens):
    app, grant_id, first = tokens
    rotated = (await client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic)).json()
    reuse = await client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic)
    assert reuse.json()["error"] == "invalid_grant" and "revoked" in reuse.json()["error_description"]
    after = await client.post("/token", data=refresh_form(rotated["refresh_token"]), auth=app.basic)
    assert after.json() == {"error": "invalid_grant", "error_description": "the refresh token was revoked"}
    assert await db.fetchval("SELECT revoked_reason FROM oauth_grant WHERE id = $1", grant_id) == "refresh_token_reused"
    assert await db.fetchval("SELECT count(*) FROM access_token WHERE grant_id = $1 AND revoked_at IS NULL", grant_id) == 0


async def test_parallel_refreshes_of_one_token_yield_exactly_one_success(client, tokens):
    app, _, first = tokens
    responses = await asyncio.gather(
        *(client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] + [400] * 7
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r.status_code == 400)


async def test_a_refresh_may_narrow_the_scopes_but_never_widen_them(client, tokens):
    app, _, first = tokens
    narrowed = await client.post("/token", data=refresh_form(first["refresh_token"], scope="accounts:read"), auth=app.basic)
    assert narrowed.json()["scope"] == "accounts:read"
    widened = await client.post(
        "/token", data=refresh_form(narrowed.json()["refresh_token"], scope="accounts:read payments:write"), auth=app.basic
    )
    assert widened.json()["error"] == "invalid_scope"


async def test_another_apps_refresh_token_is_refused(client, db, clock, tokens):
    _, _, first = tokens
    other = await add_sandbox_app(db, clock.now(), client_id="other-app")
    response = await client.post("/token", data=refresh_form(first["refresh_token"]), auth=other.basic)
    assert response.json()["error"] == "invalid_grant"


async def test_a_grant_ends_90_days_after_the_customer_authenticated_however_often_it_is_used(client, clock, tokens):
    app, _, body = tokens
    for _ in range(3):  # used every 25 days: never idle
        clock.advance(days=25)
        response = await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)
        assert response.status_code == 200, response.text
        body = response.json()
    clock.advance(days=15)  # day 90
    response = await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)
    assert response.json()["error"] == "invalid_grant" and "90-day limit" in response.json()["error_description"]


async def test_a_grant_unused_for_31_days_has_ended(client, clock, tokens):
    app, _, body = tokens
    clock.advance(days=31)
    response = await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)
    assert response.json()["error"] == "invalid_grant" and "unused for 30 days" in response.json()["error_description"]


async def test_a_grant_used_within_30_days_stays_alive(client, clock, tokens):
    app, _, body = tokens
    clock.advance(days=29)
    response = await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)
    assert response.status_code == 200


async def test_no_tokens_are_issued_during_a_maintenance_window(client, clock, tokens):
    app, _, body = tokens
    clock.set(datetime(2026, 11, 25, 4, 2, tzinfo=TOKYO))  # the daily 04:00-04:05 window
    response = await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)
    assert response.status_code == 400 and response.json()["error"] == "temporarily_unavailable"
    assert response.headers["retry-after"] == "180"
    clock.set(datetime(2026, 11, 25, 4, 5, tzinfo=TOKYO))
    assert (await client.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)).status_code == 200


@pytest.mark.parametrize("status", ["closed", "moved"])
async def test_a_grant_on_an_account_closed_or_moved_by_an_import_issues_nothing(client, db, tokens, status):
    app, grant_id, first = tokens
    moved_to = "022-1-2222222" if status == "moved" else None
    await db.execute(
        "UPDATE account SET status = $1, moved_to = $2 WHERE id = (SELECT account_id FROM oauth_grant WHERE id = $3)",
        status, moved_to, grant_id,
    )
    refused = await client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant" and "no longer be linked" in refused.json()["error_description"]


async def _lock_waiters(db) -> int:  # type: ignore[no-untyped-def]
    return await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")


async def _until_lock_waiters(db, count: int) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(10):
        while await _lock_waiters(db) < count:
            await asyncio.sleep(0.01)


async def test_refreshes_that_all_read_the_token_unused_still_issue_exactly_once(client, db, tokens):
    app, grant_id, first = tokens
    async with db.acquire() as holder, holder.transaction():
        # Hold the grant as another change would: each refresh reads the token unused, then waits to write.
        await holder.execute("SELECT 1 FROM oauth_grant WHERE id = $1 FOR UPDATE", grant_id)
        racing = [asyncio.create_task(client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic))
                  for _ in range(4)]
        await _until_lock_waiters(db, 4)
    responses = await asyncio.gather(*racing)
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400]
    # The three that lost found the token used: reuse, so the grant (and the winner's tokens) are revoked.
    assert await db.fetchval("SELECT revoked_reason FROM oauth_grant WHERE id = $1", grant_id) == "refresh_token_reused"
    assert await db.fetchval("SELECT count(*) FROM refresh_token WHERE grant_id = $1 AND revoked_at IS NULL", grant_id) == 0


async def test_a_refresh_waiting_on_a_revocation_in_progress_issues_nothing_that_outlives_it(client, db, clock, tokens):
    app, grant_id, first = tokens
    async with db.acquire() as staff, staff.transaction():  # the console revoking, statement by statement
        await staff.execute("UPDATE oauth_grant SET revoked_at = $2, revoked_reason = 'staff' WHERE id = $1", grant_id, clock.now())
        refreshing = asyncio.create_task(client.post("/token", data=refresh_form(first["refresh_token"]), auth=app.basic))
        await _until_lock_waiters(db, 1)
        await staff.execute("UPDATE refresh_token SET revoked_at = $2 WHERE grant_id = $1", grant_id, clock.now())
        await staff.execute("UPDATE access_token SET revoked_at = $2 WHERE grant_id = $1", grant_id, clock.now())
    response = await refreshing
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert await db.fetchval("SELECT count(*) FROM refresh_token WHERE grant_id = $1 AND revoked_at IS NULL", grant_id) == 0
    assert await db.fetchval("SELECT count(*) FROM access_token WHERE grant_id = $1 AND revoked_at IS NULL", grant_id) == 0


async def test_a_refresh_costs_two_database_round_trips(counted_server, db, clock):  # type: ignore[no-untyped-def]
    server, relay = counted_server
    app = await add_sandbox_app(db, clock.now())
    code = await add_code(db, app, account_id=await add_account(db, clock.now()), now=clock.now())
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = (await http.post("/token", data=exchange_form(code), auth=app.basic)).json()  # the app is remembered from here
        before = relay.counts.round_trips
        refreshed = await http.post("/token", data=refresh_form(body["refresh_token"]), auth=app.basic)
        assert refreshed.status_code == 200
        assert relay.counts.round_trips - before == 2  # the token and its grant; then one statement that changes them
