"""Named queries on staff console sessions.

A session is found by the SHA-256 digest of its cookie value; the value itself
is never stored. Idle time is judged against the application's clock, passed
in as parameters.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def start_session(conn: Conn, digest: bytes, staff_id: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO staff_session (session_digest, staff_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
        digest, staff_id, now,
    )


async def touch_session(conn: Conn, digest: bytes, now: datetime, seen_since: datetime) -> asyncpg.Record | None:
    """The staff member of a live session (seen at or after ``seen_since``, staff enabled), marking it seen now.

    One statement, so a session that idles out cannot be revived by a request racing the timeout.
    """
    return await conn.fetchrow(
        """UPDATE staff_session s SET last_seen_at = $2
           FROM staff st
           WHERE s.session_digest = $1 AND s.ended_at IS NULL AND s.last_seen_at >= $3
             AND st.staff_id = s.staff_id AND st.disabled_at IS NULL
           RETURNING st.staff_id, st.branch_code, st.role""",
        digest, now, seen_since,
    )


async def end_session(conn: Conn, digest: bytes, now: datetime) -> None:
    await conn.execute(
        "UPDATE staff_session SET ended_at = $2 WHERE session_digest = $1 AND ended_at IS NULL", digest, now
    )


async def end_sessions_of(conn: Conn, staff_id: str, now: datetime) -> int:
    """End every open session of a staff member (disabled, or password reset); how many were open."""
    status = await conn.execute(
        "UPDATE staff_session SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL", staff_id, now
    )
    return int(status.split()[-1])
