"""Live links are the grants the token endpoint would still use: not those idle past grant_idle_days, closed or disabled."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from server.clock import TOKYO, FrozenClock
from tests.oauth.factories import add_account, add_code, add_sandbox_app
from tests.oauth.test_token_code import exchange_form
from tests.oauth.test_token_refresh import refresh_form

LINKED = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
FIRST_DAY = LINKED.date()


def day(n: int) -> date:
    return FIRST_DAY + timedelta(days=n)


async def live_by_day(open_console, staff_id: str, last: int) -> list[int]:  # type: ignore[no-untyped-def]
    """The app's live links at the end of each day from the linking day to day ``last`` (today: now)."""
    clerk = await open_console(staff_id, branch_code="000", role="hq")
    response = await clerk.http.get("/staff/api/stats", params={"from": FIRST_DAY.isoformat(), "to": day(last).isoformat()})
    assert response.status_code == 200
    return [sum(app["live_links"] for app in each["apps"]) for each in response.json()["days"]]


@pytest.fixture
async def linked(client, db, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """A sandbox app's grant for an account of branch 001, made at LINKED and used at once for its tokens."""
    clock.set(LINKED)
    app = await add_sandbox_app(db, clock.now())
    account_id = await add_account(db, clock.now())
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    tokens = (await client.post("/token", data=exchange_form(code), auth=app.basic)).json()
    return app, account_id, tokens


async def test_a_grant_idle_past_grant_idle_days_stops_counting_on_the_day_it_is_refused(  # type: ignore[no-untyped-def]
        client, clock: FrozenClock, linked, open_console):
    app, _, tokens = linked
    idle_days = 30
    clock.set(LINKED + timedelta(days=20))  # used again on day 20: idle from then on
    used = await client.post("/token", data=refresh_form(tokens["refresh_token"]), auth=app.basic)
    assert used.status_code == 200, used.text
    refused_from = LINKED + timedelta(days=20 + idle_days)

    clock.set(refused_from - timedelta(hours=1))  # day 50, 09:00: still usable, so still live
    assert await live_by_day(open_console, "hq-0900", 50) == [1] * 51
    clock.set(refused_from)  # day 50, 10:00: the token endpoint refuses it
    refused = await client.post("/token", data=refresh_form(used.json()["refresh_token"]), auth=app.basic)
    assert refused.json()["error"] == "invalid_grant" and "unused for 30 days" in refused.json()["error_description"]
    assert await live_by_day(open_console, "hq-1000", 55) == [1] * 50 + [0] * 6


async def test_an_account_closed_by_an_import_ends_its_links_from_that_import(  # type: ignore[no-untyped-def]
        client, db, clock: FrozenClock, linked, open_console):
    app, account_id, tokens = linked
    clock.set(LINKED + timedelta(days=3))
    await db.execute("UPDATE account SET status = 'closed', imported_at = $2 WHERE id = $1", account_id, clock.now())
    closed = await client.post("/token", data=refresh_form(tokens["refresh_token"]), auth=app.basic)
    assert closed.json()["error"] == "invalid_grant"
    assert await live_by_day(open_console, "hq-closed", 5) == [1, 1, 1, 0, 0, 0]


async def test_a_disabled_app_has_no_live_links_while_it_is_disabled(  # type: ignore[no-untyped-def]
        server, client, db, clock: FrozenClock, linked, open_console):
    app, _, tokens = linked
    clock.set(LINKED + timedelta(days=2))
    await db.execute("UPDATE oauth_client SET disabled_at = $2 WHERE client_id = $1", app.client_id, clock.now())
    for _ in range(250):  # the change's NOTIFY reaches the server's memory of clients within moments
        if server.runtime.extras["clients"].remembered(app.client_id) is None:
            break
        await asyncio.sleep(0.02)
    refused = await client.post("/token", data=refresh_form(tokens["refresh_token"]), auth=app.basic)
    assert refused.status_code in (400, 401)  # the token endpoint no longer knows the app
    assert await live_by_day(open_console, "hq-disabled", 4) == [1, 1, 0, 0, 0]


async def test_a_grant_whose_code_the_app_never_collected_is_no_link_once_the_code_expired(  # type: ignore[no-untyped-def]
        client, db, clock: FrozenClock, open_console):
    clock.set(LINKED)
    app = await add_sandbox_app(db, clock.now())
    code = await add_code(db, app, account_id=await add_account(db, clock.now()), now=clock.now())
    clock.advance(seconds=30)
    assert await live_by_day(open_console, "hq-pending", 0) == [1]  # the app may still collect its tokens
    clock.advance(seconds=31)  # authorization_code_seconds = 60
    late = await client.post("/token", data=exchange_form(code), auth=app.basic)
    assert late.json()["error"] == "invalid_grant"
    assert await live_by_day(open_console, "hq-expired", 0) == [0]
