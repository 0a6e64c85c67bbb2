"""Named queries on attempt_throttle: failed attempts per IP address or app and window.

An attempt takes its place in the count *before* it is checked and gives it
back if it succeeds, so parallel attempts can never all pass a limit while
none has failed yet. Each statement is one atomic row update (autocommit),
so the count's row is never held locked while a PIN is being verified.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def take_place(conn: Conn, scope: str, key: str, *, starts_at: datetime, ends_at: datetime, limit: int) -> int | None:
    """Count one attempt in the window; the count with it, or None when the window is full (nothing counted)."""
    return await conn.fetchval(
        """INSERT INTO attempt_throttle AS t (scope, key, window_start, window_ends_at, failures)
           VALUES ($1, $2, $3, $4, 1)
           ON CONFLICT (scope, key, window_start) DO UPDATE SET failures = t.failures + 1
            WHERE t.failures < $5
           RETURNING failures""",
        scope, key, starts_at, ends_at, limit,
    )


async def give_place_back(conn: Conn, scope: str, key: str, *, starts_at: datetime) -> None:
    """The attempt did not fail (right answer, or nothing was checked): it does not count."""
    await conn.execute(
        """UPDATE attempt_throttle SET failures = failures - 1
            WHERE scope = $1 AND key = $2 AND window_start = $3 AND failures > 0""",
        scope, key, starts_at,
    )


async def failures_in_window(conn: Conn, scope: str, key: str, *, starts_at: datetime) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(failures), 0) FROM attempt_throttle WHERE scope = $1 AND key = $2 AND window_start = $3",
        scope, key, starts_at,
    )


async def forget_ended_windows(conn: Conn, now: datetime) -> int:
    """Drop the counts of windows that have ended; how many rows went."""
    status = await conn.execute("DELETE FROM attempt_throttle WHERE window_ends_at <= $1", now)
    return int(status.split()[-1])
