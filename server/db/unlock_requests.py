"""Named queries on unlock_request: a member's request to lift a lock, and a supervisor's decision (役席承認)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from server.db.locks import LOCK_IN_FORCE

Conn = asyncpg.Connection | asyncpg.Pool

_WITH_ACCOUNT = """SELECT r.*, a.branch_code, a.account_type, a.account_number, a.name_kana
                     FROM unlock_request r JOIN account a ON a.id = r.account_id"""


async def lock_lifts_at(conn: Conn, account_id: int, kind: str, now: datetime) -> datetime | None:
    """When the ``kind`` lock in force lifts by itself; None when there is none."""
    return await conn.fetchval(
        f"SELECT max(locked_until) FROM account_failure WHERE account_id = $1 AND kind = $2 AND {LOCK_IN_FORCE.format(now='$3')}",
        account_id, kind, now,
    )


async def add_request(conn: asyncpg.Connection, account_id: int, kind: str, reason: str, staff_id: str, now: datetime,
                      lock_until: datetime) -> int | None:
    """The new request's id; None when one for this lock is already waiting (the partial unique index).

    A request left waiting for a lock that has since lifted by itself closes first, as ``lapsed``.
    """
    await conn.execute(
        """UPDATE unlock_request SET state = 'lapsed', decided_at = $3
            WHERE account_id = $1 AND kind = $2 AND state = 'pending' AND lock_until <= $3""",
        account_id, kind, now,
    )
    return await conn.fetchval(
        """INSERT INTO unlock_request (account_id, kind, reason, requested_by, requested_at, lock_until, state)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending')
           ON CONFLICT (account_id, kind) WHERE state = 'pending' DO NOTHING
           RETURNING id""",
        account_id, kind, reason, staff_id, now, lock_until,
    )


async def pending_for_account(conn: Conn, account_id: int, now: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM unlock_request WHERE account_id = $1 AND state = 'pending' AND lock_until > $2
            ORDER BY requested_at""",
        account_id, now,
    )


async def pending(conn: Conn, branch_code: str | None, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Requests waiting for a decision whose lock is still in force, oldest first; ``branch_code`` None: every branch's."""
    return await conn.fetch(
        f"""{_WITH_ACCOUNT} WHERE r.state = 'pending' AND r.lock_until > $2 AND ($1::text IS NULL OR a.branch_code = $1)
              AND EXISTS (SELECT 1 FROM account_failure f
                           WHERE f.account_id = r.account_id AND f.kind = r.kind AND {LOCK_IN_FORCE.format(now="$2")})
            ORDER BY r.requested_at, r.id LIMIT $3""",
        branch_code, now, limit,
    )


async def request_by_id(conn: Conn, request_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_WITH_ACCOUNT} WHERE r.id = $1", request_id)


async def request_for_decision(conn: asyncpg.Connection, request_id: int) -> asyncpg.Record | None:
    """The request, row-locked (call in a transaction): two supervisors deciding at once queue here."""
    return await conn.fetchrow(f"{_WITH_ACCOUNT} WHERE r.id = $1 FOR UPDATE OF r", request_id)


async def decide(conn: Conn, request_id: int, state: str, staff_id: str | None, note: str | None, now: datetime) -> None:
    """Close a pending request as ``lifted`` or ``lapsed`` (the lock had lifted already)."""
    await conn.execute(
        """UPDATE unlock_request SET state = $2, decided_by = $3, decision_note = $4, decided_at = $5
            WHERE id = $1 AND state = 'pending'""",
        request_id, state, staff_id, note, now,
    )
