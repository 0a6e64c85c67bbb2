"""Opening phone checks: the number drawn, older checks voided, the status screen ④ reads."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from ivr.checks import draw_auth_number, phone_check_status, start_phone_check
from server.clock import FrozenClock
from server.settings import Settings
from tests.ivr import factories
from tests.ivr.conftest import HANAKO_LANDLINE, HANAKO_MOBILE, TARO, OpenCheck

POOL = ("+815000000001", "+815000000002", "+815000000003")


@pytest.mark.parametrize(
    ("busy", "allowed"),
    [
        (set(), set(POOL)),
        ({POOL[0]}, {POOL[1], POOL[2]}),
        ({POOL[0], POOL[1]}, {POOL[2]}),
        (set(POOL), set(POOL)),  # every number busy: any will do rather than none
    ],
    ids=["all free", "one busy", "two busy", "all busy"],
)
def test_the_drawn_number_avoids_numbers_already_waiting_for_these_phones_while_any_is_free(busy: set[str], allowed: set[str]) -> None:
    drawn = {draw_auth_number(POOL, busy) for _ in range(200)}
    assert drawn == allowed


async def test_a_new_check_waits_for_the_configured_window_and_shows_a_number_of_the_pool(
    open_check: OpenCheck, db: asyncpg.Pool, clock: FrozenClock, settings: Settings,
) -> None:
    waiting = await open_check([TARO])
    assert waiting.check.state == "open" and waiting.check.auth_number in settings.ivr.auth_numbers
    assert waiting.check.expires_at == clock.now() + timedelta(seconds=settings.policy.phone_check_seconds)
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"
    clock.advance(seconds=settings.policy.phone_check_seconds)
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "expired"


async def test_a_flow_that_never_reached_screen_four_has_no_check(db: asyncpg.Pool, clock: FrozenClock) -> None:
    await factories.create_client(db)
    flow_id = await factories.create_flow(db, await factories.create_account(db, [TARO]), clock.now())
    assert await phone_check_status(db, flow_id, clock.now()) == "none"


async def test_a_new_flow_for_the_same_account_voids_the_older_pending_check(open_check: OpenCheck, db: asyncpg.Pool, clock: FrozenClock) -> None:
    older = await open_check([TARO])
    newer = await open_check([TARO], account_id=older.account_id)
    states = await db.fetch("SELECT flow_id, state FROM phone_check ORDER BY id")
    assert [(r["flow_id"], r["state"]) for r in states] == [(older.flow_id, "void"), (newer.flow_id, "open")]
    assert await phone_check_status(db, older.flow_id, clock.now()) == "expired"


async def test_customers_sharing_a_phone_are_shown_different_numbers_while_the_pool_allows(
    open_check: OpenCheck, db: asyncpg.Pool,
) -> None:
    # Five numbers in the pool: five accounts sharing one landline each get their own.
    shown = [(await open_check([HANAKO_LANDLINE, phone])).check.auth_number for phone in
             (HANAKO_MOBILE, "+818011110001", "+818011110002", "+818011110003", "+818011110004")]
    assert len(set(shown)) == 5


async def test_parallel_attempts_of_one_account_leave_exactly_one_check_open(
    db: asyncpg.Pool, clock: FrozenClock, settings: Settings,
) -> None:
    await factories.create_client(db)
    account_id = await factories.create_account(db, [TARO])
    flows = [await factories.create_flow(db, account_id, clock.now()) for _ in range(20)]

    async def attempt(flow_id):  # type: ignore[no-untyped-def]
        async with db.acquire() as conn:
            await start_phone_check(conn, flow_id=flow_id, account_id=account_id, caller_phones=[TARO], now=clock.now(), settings=settings)

    await asyncio.gather(*(attempt(f) for f in flows))
    assert await db.fetchval("SELECT count(*) FROM phone_check WHERE state = 'open'") == 1
    assert await db.fetchval("SELECT count(*) FROM phone_check WHERE state = 'void'") == 19


async def test_parallel_attempts_of_customers_sharing_a_phone_never_share_a_number(
    db: asyncpg.Pool, clock: FrozenClock, settings: Settings,
) -> None:
    await factories.create_client(db)
    phones = [[HANAKO_LANDLINE, f"+81801111000{i}"] for i in range(5)]
    accounts = [await factories.create_account(db, p) for p in phones]
    flows = [await factories.create_flow(db, a, clock.now()) for a in accounts]

    async def attempt(flow_id, account_id, caller_phones):  # type: ignore[no-untyped-def]
        async with db.acquire() as conn:
            return await start_phone_check(conn, flow_id=flow_id, account_id=account_id, caller_phones=caller_phones, now=clock.now(), settings=settings)

    checks = await asyncio.gather(*(attempt(*args) for args in zip(flows, accounts, phones)))
    assert len({c.auth_number for c in checks}) == 5
