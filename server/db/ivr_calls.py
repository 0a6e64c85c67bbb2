"""Named queries on ivr_call: every call Twilio told us about, once per CallSid."""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool

# Written first and replaced in the same transaction, so no one ever reads it.
RECEIVED = "received"


async def claim_call(conn: asyncpg.Connection, *, call_sid: str, auth_number: str, caller_masked: str, received_at: datetime) -> bool:
    """Record a new CallSid; False when it was recorded before (a Twilio retry).

    A retry arriving while the first request is still in its transaction waits
    here on the primary key until that one commits, then sees it.
    """
    inserted = await conn.fetchval(
        """INSERT INTO ivr_call (call_sid, auth_number, caller_masked, received_at, outcome)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (call_sid) DO NOTHING
           RETURNING true""",
        call_sid, auth_number, caller_masked, received_at, RECEIVED,
    )
    return bool(inserted)


async def settle_call(conn: asyncpg.Connection, call_sid: str, outcome: str, phone_check_id: int | None) -> None:
    await conn.execute(
        "UPDATE ivr_call SET outcome = $2, phone_check_id = $3 WHERE call_sid = $1", call_sid, outcome, phone_check_id
    )


async def outcome_of_call(conn: Conn, call_sid: str) -> str | None:
    return await conn.fetchval("SELECT outcome FROM ivr_call WHERE call_sid = $1", call_sid)


async def record_final_status(conn: Conn, call_sid: str, status: str, at: datetime) -> bool:
    """Twilio's status callback; an unknown CallSid or an older report changes nothing."""
    updated = await conn.fetchval(
        """UPDATE ivr_call SET final_status = $2, status_at = $3
           WHERE call_sid = $1 AND (status_at IS NULL OR status_at <= $3)
           RETURNING true""",
        call_sid, status, at,
    )
    return bool(updated)


async def call_report(conn: Conn, call_sid: str) -> asyncpg.Record | None:
    """A call's outcome, and whether any screen ④ showed its auth number when it rang (``number_shown``):
    what ``renkei simulate-call`` needs to say why a call did not match."""
    return await conn.fetchrow(
        """SELECT c.outcome, EXISTS (
                      SELECT 1 FROM phone_check p
                       WHERE p.auth_number = c.auth_number AND p.state <> 'void'
                         AND p.shown_at <= c.received_at AND p.expires_at > c.received_at) AS number_shown
             FROM ivr_call c WHERE c.call_sid = $1""",
        call_sid,
    )
