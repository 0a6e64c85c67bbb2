"""Named queries on maintenance windows staff add to the published calendar.

Adding or cancelling a window notifies channel ``renkei_maintenance`` in the
same statement, so every process reloads its calendar when (and only if) the
change commits.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

CHANNEL = "renkei_maintenance"
_MAX_REASON = 200

Conn = asyncpg.Connection | asyncpg.Pool


def _check_aware(*moments: datetime) -> None:
    if any(m.tzinfo is None or m.utcoffset() is None for m in moments):
        raise ValueError("maintenance window times must be aware datetimes")


async def add_window(conn: Conn, starts_at: datetime, ends_at: datetime, reason: str, staff_id: str, now: datetime) -> asyncpg.Record:
    """The new window's row; ``ValueError`` when it is empty, backwards or unexplained."""
    _check_aware(starts_at, ends_at, now)
    if ends_at <= starts_at:
        raise ValueError("a maintenance window must end after it starts")
    reason = reason.strip()
    if not reason or len(reason) > _MAX_REASON or not reason.isprintable():
        raise ValueError(f"a maintenance window needs a reason of 1 to {_MAX_REASON} printable characters")
    return await conn.fetchrow(
        """WITH added AS (
               INSERT INTO maintenance_window (starts_at, ends_at, reason, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5) RETURNING *)
           SELECT added.*, pg_notify($6, added.id::text) AS notified FROM added""",
        starts_at, ends_at, reason, staff_id, now, CHANNEL,
    )


async def cancel_window(conn: Conn, window_id: int, staff_id: str, now: datetime) -> asyncpg.Record | None:
    """The cancelled window's row, or None if there is no such window or it was already cancelled."""
    _check_aware(now)
    return await conn.fetchrow(
        """WITH cancelled AS (
               UPDATE maintenance_window SET cancelled_at = $3, cancelled_by = $2
               WHERE id = $1 AND cancelled_at IS NULL RETURNING *)
           SELECT cancelled.*, pg_notify($4, cancelled.id::text) AS notified FROM cancelled""",
        window_id, staff_id, now, CHANNEL,
    )


async def list_windows(conn: Conn, since: datetime, until: datetime, *, include_cancelled: bool = True) -> list[asyncpg.Record]:
    """Windows overlapping ``[since, until)``, cancelled ones too unless told otherwise, by start."""
    _check_aware(since, until)
    return await conn.fetch(
        """SELECT * FROM maintenance_window
           WHERE starts_at < $2 AND ends_at > $1 AND ($3 OR cancelled_at IS NULL)
           ORDER BY starts_at, id""",
        since, until, include_cancelled,
    )


async def windows_in_force(conn: Conn, ending_after: datetime) -> list[asyncpg.Record]:
    """Windows not cancelled that end after ``ending_after``: what the calendar must know."""
    _check_aware(ending_after)
    return await conn.fetch(
        "SELECT * FROM maintenance_window WHERE cancelled_at IS NULL AND ends_at > $1 ORDER BY starts_at, id",
        ending_after,
    )
