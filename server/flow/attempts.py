"""One identity or PIN attempt: lock check, verification and failure count in one transaction.

The account is row-locked before the lock check, so parallel attempts on one
account, of either kind, queue behind each other: the failure that reaches the
limit engages the lock, and every attempt after it, however close, finds the lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from server.db import locks
from server.metrics import LOCKS_SET
from server.policy.locks import LockKind, tries_left
from server.reasons import Reason


_LOCK_ENGAGED = frozenset({Reason.B83, Reason.B88})


@dataclass(frozen=True)
class Attempt:
    passed: bool
    reason: Reason | None = None  # why not
    stops_flow: bool = False      # a lock: nothing more today (B83, B84, B88)
    tries_left: int | None = None  # after a wrong answer: how many more before the lock


async def guarded_attempt(
    conn: asyncpg.Connection, *, account_id: int, kind: LockKind, limit: int, now: datetime,
    verify: Callable[[], Awaitable[bool]],
) -> Attempt:
    async with conn.transaction():
        await locks.queue_behind_other_attempts(conn, account_id)
        if await locks.active_lock(conn, account_id, now):
            return Attempt(False, Reason.B84, stops_flow=True)
        if await verify():
            return Attempt(True)
        outcome = await locks.record_failure(conn, account_id, kind, limit=limit, now=now)
    if outcome.reason in _LOCK_ENGAGED:  # counted once committed
        LOCKS_SET.labels(reason=outcome.reason.value).inc()
    return Attempt(False, outcome.reason, stops_flow=outcome.locked, tries_left=tries_left(outcome.failures, limit))


def wrong_guess(attempt: Attempt) -> bool:
    """A birth date or PIN was checked and was wrong (an attempt on a locked account checks nothing)."""
    return not attempt.passed and attempt.reason is not Reason.B84
