"""Ending an app's link from the console: own branch only, audited, every token with it."""

from __future__ import annotations

from uuid import UUID

from server.db import tokens
from server.hashing import token_digest


async def test_a_clerk_ends_an_apps_link_and_its_tokens_end_with_it(open_console, add_account, add_grant, db, clock):
    account_id = await add_account("001-1-1234567")
    grant_id = await add_grant(account_id)
    await tokens.insert_refresh_token(db, token_digest("refresh-1"), UUID(grant_id), clock.now())
    console = await open_console("branch001")
    response = await console.post_form(f"/staff/accounts/001-1-1234567/grants/{grant_id}/revoke", {})
    assert response.status_code == 303 and response.headers["location"] == "/staff/accounts/001-1-1234567?done=revoked"
    grant = await db.fetchrow("SELECT revoked_at, revoked_reason FROM oauth_grant WHERE id = $1", UUID(grant_id))
    assert grant["revoked_at"] == clock.now() and grant["revoked_reason"] == "staff:branch001"
    assert await db.fetchval("SELECT revoked_at FROM refresh_token") == clock.now()
    entry = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'staff:grant:revoke'")
    assert entry["staff_id"] == "branch001" and entry["client_id"] == "demo-fintech" and entry["account_id"] == account_id
    page = await console.http.get(response.headers["location"])
    assert f'data-grant="{grant_id}"' not in page.text and 'role="status"' in page.text


async def test_a_grant_of_another_branch_cannot_be_ended_through_any_url(open_console, add_account, add_grant, db):
    await add_account("001-1-1234567")
    theirs = await add_grant(await add_account("002-1-2222222"))
    console = await open_console("branch001")
    attempts = [
        await console.post_form(f"/staff/accounts/002-1-2222222/grants/{theirs}/revoke", {}),
        await console.post_form(f"/staff/accounts/001-1-1234567/grants/{theirs}/revoke", {}),
        await console.post_form("/staff/accounts/001-1-1234567/grants/not-a-uuid/revoke", {}),
        await console.post_json(f"/staff/api/accounts/002-1-2222222/grants/{theirs}/revoke", {}),
        await console.post_json(f"/staff/api/accounts/001-1-1234567/grants/{theirs}/revoke", {}),
    ]
    assert [r.status_code for r in attempts] == [404] * 5
    assert attempts[3].json() == attempts[4].json() == {"error": "not_found", "error_description": "no such account"}
    assert await db.fetchval("SELECT count(*) FROM oauth_grant WHERE revoked_at IS NOT NULL") == 0


async def test_the_api_ends_a_link_once_and_then_says_it_had_ended(open_console, add_account, add_grant, clock):
    grant_id = await add_grant(await add_account("001-1-1234567"))
    console = await open_console("branch001")
    url = f"/staff/api/accounts/001-1-1234567/grants/{grant_id}/revoke"
    assert (await console.post_json(url, {})).json() == {"revoked": True}
    assert (await console.post_json(url, {})).json() == {"revoked": False}
    assert (await console.http.get("/staff/api/accounts/001-1-1234567/grants")).json()["grants"] == []


async def test_head_office_may_end_any_branchs_link(open_console, add_account, add_grant, clock):
    grant_id = await add_grant(await add_account("002-1-2222222"))
    console = await open_console("hq-admin", branch_code="000", role="hq")
    response = await console.post_json(f"/staff/api/accounts/002-1-2222222/grants/{grant_id}/revoke", {})
    assert response.json() == {"revoked": True}


async def test_a_grant_unused_for_thirty_days_is_no_longer_listed_as_linked(open_console, add_account, add_grant, clock):
    await add_grant(await add_account("001-1-1234567"))  # last used two days ago
    clock.advance(days=27, hours=23, minutes=59)
    console = await open_console("branch001")
    assert len((await console.http.get("/staff/api/accounts/001-1-1234567/grants")).json()["grants"]) == 1
    clock.advance(minutes=2)
    assert (await console.http.get("/staff/api/accounts/001-1-1234567/grants")).json()["grants"] == []
