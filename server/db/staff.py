"""Named queries on staff accounts (branch clerks and head office)."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def insert_staff(
    conn: asyncpg.Connection | asyncpg.Pool, *, staff_id: str, branch_code: str, role: str, password_hash: str,
    created_at: datetime,
) -> bool:
    """Create a staff account; False (and nothing changed) when the id is taken."""
    written = await conn.fetchval(
        """INSERT INTO staff (staff_id, branch_code, role, password_hash, created_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (staff_id) DO NOTHING
           RETURNING true""",
        staff_id, branch_code, role, password_hash, created_at,
    )
    return bool(written)


async def get_staff(conn: asyncpg.Connection | asyncpg.Pool, staff_id: str) -> asyncpg.Record | None:
    """A staff account, disabled or not (callers check ``disabled_at``)."""
    return await conn.fetchrow("SELECT * FROM staff WHERE staff_id = $1", staff_id)
