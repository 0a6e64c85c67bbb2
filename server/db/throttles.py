"""Named queries on attempt_throttle: failed attempts per IP address or app, per slice of the clock.

An attempt takes its place in the count *before* it is checked and gives it
back if it succeeds, so parallel attempts can never all pass a limit while
none has failed yet. Each statement is one atomic row update (autocommit),
so no count's row is held locked while a PIN is being verified.

The rule is server.policy.throttles.decide: every slice from ``counted_from``
on counts. The current slice's row is checked and counted under its row lock,
so every process queues on it; the older slices only ever shrink meanwhile (a
place given back), which can only make the check stricter than the truth.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool

_TAKE_PLACE = """
WITH other_slices AS (
    SELECT coalesce(sum(failures), 0) AS failures FROM attempt_throttle
     WHERE scope = $1 AND key = $2 AND window_start >= $5 AND window_start <> $3
)
INSERT INTO attempt_throttle AS t (scope, key, window_start, window_ends_at, failures)
SELECT $1, $2, $3, $4, 1 FROM other_slices WHERE other_slices.failures < $6
ON CONFLICT (scope, key, window_start) DO UPDATE SET failures = t.failures + 1
 WHERE t.failures + (SELECT failures FROM other_slices) < $6
RETURNING t.failures + (SELECT failures FROM other_slices)
"""


async def take_place(conn: Conn, scope: str, key: str, *, starts_at: datetime, ends_at: datetime,
                     counted_from: datetime, limit: int) -> int | None:
    """Count one attempt in the slice ``starts_at``..``ends_at`` if every slice from ``counted_from`` on
    holds fewer than ``limit``: the count with it, or None when that is full (nothing counted)."""
    return await conn.fetchval(_TAKE_PLACE, scope, key, starts_at, ends_at, counted_from, limit)


async def give_place_back(conn: Conn, scope: str, key: str, *, starts_at: datetime) -> None:
    """The attempt did not fail (right answer, or nothing was checked): it does not count."""
    await conn.execute(
        """UPDATE attempt_throttle SET failures = failures - 1
            WHERE scope = $1 AND key = $2 AND window_start = $3 AND failures > 0""",
        scope, key, starts_at,
    )


async def failures_by_slice(conn: Conn, scope: str, key: str, *, counted_from: datetime) -> dict[datetime, int]:
    """The failures of every slice from ``counted_from`` on, by the slice's start: what ``decide`` reads."""
    rows = await conn.fetch(
        """SELECT window_start, failures FROM attempt_throttle
            WHERE scope = $1 AND key = $2 AND window_start >= $3""",
        scope, key, counted_from,
    )
    return {row["window_start"]: row["failures"] for row in rows}
