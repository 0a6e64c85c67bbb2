"""One attempt at a time per account, across kinds: a lock engaged by one stage stops the other."""

from __future__ import annotations

import asyncio

import asyncpg

from server.flow.attempts import guarded_attempt
from server.policy.locks import LockKind
from server.reasons import Reason


async def test_a_right_pin_racing_the_birth_date_failure_that_locks_the_account_is_refused(db: asyncpg.Pool, clock, taro) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    async with db.acquire() as conn:
        for _ in range(2):  # two wrong birth dates already today
            await guarded_attempt(conn, account_id=taro.id, kind=LockKind.IDENTITY, limit=3, now=now, verify=_answer(False))

    inside_verify = asyncio.Event()
    release = asyncio.Event()

    async def slow_wrong_birth_date() -> bool:
        inside_verify.set()
        await release.wait()
        return False

    async with db.acquire() as first, db.acquire() as second:
        identity = asyncio.create_task(guarded_attempt(
            first, account_id=taro.id, kind=LockKind.IDENTITY, limit=3, now=now, verify=slow_wrong_birth_date))
        await inside_verify.wait()
        pin = asyncio.create_task(guarded_attempt(
            second, account_id=taro.id, kind=LockKind.PIN, limit=3, now=now, verify=_answer(True)))
        await asyncio.sleep(0.2)  # the PIN attempt is now queued behind the identity attempt
        release.set()
        assert (await identity).reason is Reason.B83
        assert (await pin).reason is Reason.B84


def _answer(right: bool):  # type: ignore[no-untyped-def]
    async def verify() -> bool:
        return right
    return verify
