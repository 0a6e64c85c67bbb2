"""Housekeeping and late calls: a phone check past its window still records a late caller's call as late (B85)
for retention.late_call_hours, however often housekeeping runs; only then is it voided."""

from __future__ import annotations

import asyncpg

from ivr import twiml
from server.clock import FrozenClock
from server.oauth.housekeeping import housekeeping_round
from tests.ivr.conftest import TARO, OpenCheck, Ring
from tests.ivr.test_webhook import rejected_unanswered


async def test_a_late_call_within_the_grace_period_is_still_late_b85_after_housekeeping(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    clock.advance(hours=23)
    assert await housekeeping_round(server.runtime) is not None
    response = await ring(server, TARO, waiting.check.auth_number)
    assert rejected_unanswered(response)
    assert await db.fetchval("SELECT outcome FROM ivr_call") == twiml.LATE
    assert await db.fetchval("SELECT state FROM phone_check") == "open"


async def test_once_the_grace_period_has_passed_the_check_is_voided_and_a_call_is_unknown(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    clock.advance(hours=24, seconds=121)
    counts = await housekeeping_round(server.runtime)
    assert counts is not None and counts["phone_check"] == 1
    assert await db.fetchval("SELECT state FROM phone_check") == "void"
    assert rejected_unanswered(await ring(server, TARO, waiting.check.auth_number))
    assert await db.fetchval("SELECT outcome FROM ivr_call") == twiml.UNMATCHED
