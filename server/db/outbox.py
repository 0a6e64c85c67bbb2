"""Named queries on the e-mail outbox: notices written with the grant, sent afterwards.

A row is claimed by moving its ``next_attempt_at`` past a lease in one statement
(``FOR UPDATE SKIP LOCKED``), so no two processes claim it and no lock or
transaction is held while SMTP is slow. ``next_attempt_at = 'infinity'`` marks
a notice given up on.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

CHANNEL = "renkei_outbox"

Conn = asyncpg.Connection | asyncpg.Pool


async def enqueue(conn: Conn, *, to_address: str, subject: str, body: str, now: datetime) -> int:
    """The new row's id; the NOTIFY reaches the senders when (and only if) the caller commits."""
    return await conn.fetchval(
        """WITH queued AS (
               INSERT INTO email_outbox (to_address, subject, body, created_at, next_attempt_at)
               VALUES ($1, $2, $3, $4, $4) RETURNING id)
           SELECT queued.id, pg_notify($5, '') FROM queued""",
        to_address, subject, body, now, CHANNEL,
    )


async def claim_next_due(conn: Conn, now: datetime, lease_until: datetime) -> asyncpg.Record | None:
    """The oldest unsent row due at ``now``, now leased to the caller until ``lease_until``."""
    return await conn.fetchrow(
        """UPDATE email_outbox SET next_attempt_at = $2
           WHERE id = (SELECT id FROM email_outbox
                       WHERE sent_at IS NULL AND next_attempt_at <= $1
                       ORDER BY next_attempt_at, id LIMIT 1
                       FOR UPDATE SKIP LOCKED)
           RETURNING *""",
        now, lease_until,
    )


async def mark_sent(conn: Conn, outbox_id: int, now: datetime) -> None:
    await conn.execute("UPDATE email_outbox SET sent_at = $2 WHERE id = $1 AND sent_at IS NULL", outbox_id, now)


async def mark_failed(conn: Conn, outbox_id: int, error: str, retry_at: datetime | None) -> int:
    """Count a failed attempt; ``retry_at=None`` gives the row up. Returns the attempts so far."""
    return await conn.fetchval(
        """UPDATE email_outbox
           SET attempts = attempts + 1, last_error = $2, next_attempt_at = COALESCE($3, 'infinity'::timestamptz)
           WHERE id = $1 AND sent_at IS NULL RETURNING attempts""",
        outbox_id, error[:500], retry_at,
    )
