"""Named queries on account_failure: failures per account, kind and Tokyo day, and the locks.

Used by the screens (one attempt = one transaction that row-locks the account
first), by ``renkei locks`` and by the staff console.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from server.clock import TOKYO
from server.policy.locks import LockKind, judge_failure, lock_lifts_at, tokyo_day

Conn = asyncpg.Connection | asyncpg.Pool

# When an account_failure row holds a lock in force at {now}; shared with the flow's load (server.db.flows).
LOCK_IN_FORCE = "locked_until > {now} AND cleared_at IS NULL"


async def queue_behind_other_attempts(conn: asyncpg.Connection, account_id: int) -> None:
    """Row-lock the account (call in a transaction) so identity and PIN attempts on it run one at a time.

    Every attempt of either kind queues here, so a lock or a count read after
    this line cannot be changed by a parallel attempt until we commit, and a
    lock engaged by an identity attempt is seen by a PIN attempt in another
    flow. NO KEY UPDATE leaves foreign-key inserts alone.
    """
    await conn.execute("SELECT 1 FROM account WHERE id = $1 FOR NO KEY UPDATE", account_id)


async def active_lock(conn: Conn, account_id: int, now: datetime) -> asyncpg.Record | None:
    """The identity or PIN lock in force at ``now`` (the one lifting last), if any."""
    return await conn.fetchrow(
        f"""SELECT kind, locked_until FROM account_failure
             WHERE account_id = $1 AND {LOCK_IN_FORCE.format(now="$2")}
             ORDER BY locked_until DESC LIMIT 1""",
        account_id, now,
    )


async def record_failure(conn: asyncpg.Connection, account_id: int, kind: LockKind, *, limit: int, now: datetime):  # type: ignore[no-untyped-def]
    """Count one failure on today's row (created by the first); engage the lock when the count reaches ``limit``.

    Call in the transaction of ``queue_behind_other_attempts``: the count read
    here cannot move until the caller commits. Returns
    server.policy.locks.FailureOutcome (failures, locked, reason).
    """
    day = tokyo_day(now)
    failures = await conn.fetchval(
        """INSERT INTO account_failure (account_id, kind, tokyo_day, failures) VALUES ($1, $2, $3, 1)
           ON CONFLICT (account_id, kind, tokyo_day) DO UPDATE SET failures = account_failure.failures + 1
           RETURNING failures""",
        account_id, kind.value, day,
    )
    outcome = judge_failure(kind, failures, limit)
    if outcome.locked:
        await conn.execute(
            """UPDATE account_failure SET locked_at = COALESCE(locked_at, $4), locked_until = $5, cleared_at = NULL, cleared_by = NULL
                WHERE account_id = $1 AND kind = $2 AND tokyo_day = $3""",
            account_id, kind.value, day, now, lock_lifts_at(now),
        )
    return outcome


async def lock_state(conn: Conn, account_id: int, now: datetime) -> dict[str, dict[str, Any]]:
    """``{"identity": {"locked", "until", "failures"}, "pin": {...}}`` (contract §8); failures are today's."""
    failures = {
        r["kind"]: r["failures"]
        for r in await conn.fetch(
            "SELECT kind, failures FROM account_failure WHERE account_id = $1 AND tokyo_day = $2", account_id, tokyo_day(now)
        )
    }
    locked_until = {
        r["kind"]: r["until"]
        for r in await conn.fetch(
            """SELECT kind, max(locked_until) AS until FROM account_failure
                WHERE account_id = $1 AND locked_until > $2 AND cleared_at IS NULL GROUP BY kind""",
            account_id, now,
        )
    }
    return {
        kind.value: {
            "locked": kind.value in locked_until,
            "until": locked_until[kind.value].astimezone(TOKYO).isoformat() if kind.value in locked_until else None,
            "failures": failures.get(kind.value, 0),
        }
        for kind in LockKind
    }


async def clear_locks(conn: Conn, account_id: int, kinds: list[LockKind], *, cleared_by: str, now: datetime) -> list[str]:
    """Lift the given locks now and give the customer a fresh count; returns the kinds actually lifted."""
    rows = await conn.fetch(
        """UPDATE account_failure SET cleared_at = $3, cleared_by = $4, failures = 0
            WHERE account_id = $1 AND kind = ANY($2::text[]) AND locked_until > $3 AND cleared_at IS NULL
            RETURNING kind""",
        account_id, [k.value for k in kinds], now, cleared_by,
    )
    return sorted({r["kind"] for r in rows})
