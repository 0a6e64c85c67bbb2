"""Races the other suites do not already run, each ending in exactly the state the rules allow.

Already raced elsewhere (see docs/SECURITY.md): fifty parallel wrong birth dates
and PINs on one account, parallel guesses across accounts and servers, duplicate
Twilio webhooks, a double-clicked approval, parallel refreshes of one refresh
token, parallel wrong staff passwords, parallel phone checks of one account.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.flow.walk import Customer, csrf_of, redirect_query
from tests.oauth.factories import add_account as add_token_account
from tests.oauth.factories import add_code, add_resource_server, add_sandbox_app

PARALLEL = 8


async def test_one_code_exchanged_in_parallel_issues_tokens_once_and_the_replay_revokes_them(client, db, clock):
    app = await add_sandbox_app(db, clock.now())
    resource_server = await add_resource_server(db, clock.now())
    code = await add_code(db, app, account_id=await add_token_account(db, clock.now()), now=clock.now())
    form = {"grant_type": "authorization_code", "code": code.value, "redirect_uri": app.redirect_uri, "code_verifier": code.verifier}
    answers = await asyncio.gather(*(client.post("/token", data=form, auth=app.basic) for _ in range(PARALLEL)))
    assert sorted(a.status_code for a in answers) == [200] + [400] * (PARALLEL - 1)
    assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_grant"}
    assert await db.fetchval("SELECT count(*) FROM refresh_token WHERE grant_id = $1", code.grant_id) == 1
    # A code presented twice has leaked: what the winner got is revoked with the grant.
    assert await db.fetchval("SELECT revoked_reason FROM oauth_grant WHERE id = $1", code.grant_id) == "code_replayed"
    (winner,) = [a.json() for a in answers if a.status_code == 200]
    introspected = await client.post("/introspect", data={"token": winner["access_token"]}, auth=resource_server.basic)
    assert introspected.json() == {"active": False}


async def test_one_pushed_request_redeemed_in_parallel_starts_one_flow(server, db, clock):
    app = await add_sandbox_app(db, clock.now())
    async with httpx.AsyncClient(base_url=server.url) as http:
        pushed = await http.post("/par", auth=app.basic, data={
            "response_type": "code", "redirect_uri": app.redirect_uri, "code_challenge": "E" * 43, "code_challenge_method": "S256"})
        params = {"client_id": app.client_id, "request_uri": pushed.json()["request_uri"]}
        answers = await asyncio.gather(*(http.get("/authorize", params=params) for _ in range(PARALLEL)))
    assert Counter(a.status_code for a in answers) == {302: 1, 400: PARALLEL - 1}
    assert await db.fetchval("SELECT count(*) FROM flow") == 1


async def test_an_approval_clicked_on_two_server_processes_at_once_creates_one_grant(start_server, settings, db, app_client, taro):
    first, second = await start_server(settings), await start_server(settings)
    async with httpx.AsyncClient(base_url=first.url, timeout=20) as http:
        customer = Customer(http, first.runtime.settings)
        await customer.start()
        await customer.through_pin(taro)
        form = {"csrf_token": csrf_of(customer.page), "decision": "approve"}
        answers = await asyncio.gather(*(http.post(f"{server.url}/flow/consent", data=form) for server in (first, second)))
    assert sorted(a.status_code for a in answers) == [303, 410]
    (approved,) = [a for a in answers if a.status_code == 303]
    assert "code" in redirect_query(approved)
    for table in ("oauth_grant", "authorization_code", "email_outbox"):
        assert await db.fetchval(f"SELECT count(*) FROM {table}") == 1, table


async def test_two_clerks_lifting_one_lock_at_once_lift_it_once_and_log_it_once(open_console, locked_account, db):
    await locked_account("001-1-1234567")
    clerks = [await open_console("branch001"), await open_console("hq-admin", branch_code="000", role="hq")]
    body = {"kind": "identity", "reason": "本人確認済み (窓口)"}
    answers = await asyncio.gather(*(c.post_json("/staff/api/accounts/001-1-1234567/lock/clear", body) for c in clerks))
    assert sorted(a.json()["lifted"] for a in answers) == [False, True]
    assert all(a.json()["lock"]["identity"]["locked"] is False for a in answers)
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:clear'") == 1


async def test_two_clerks_ending_one_link_at_once_end_it_once(open_console, add_account, add_grant, db):
    grant_id = await add_grant(await add_account("001-1-1234567"))
    clerks = [await open_console("branch001"), await open_console("hq-admin", branch_code="000", role="hq")]
    url = f"/staff/api/accounts/001-1-1234567/grants/{grant_id}/revoke"
    answers = await asyncio.gather(*(c.post_json(url, {}) for c in clerks))
    assert sorted(a.json()["revoked"] for a in answers) == [False, True]
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:grant:revoke'") == 1
    assert (await db.fetchval("SELECT revoked_reason FROM oauth_grant WHERE id = $1::uuid", grant_id)).startswith("staff:")
