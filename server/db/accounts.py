"""Named queries on customers' accounts."""

from __future__ import annotations

import asyncpg


async def find_account(conn: asyncpg.Connection | asyncpg.Pool, branch_code: str, account_type: int, account_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM account WHERE branch_code = $1 AND account_type = $2 AND account_number = $3",
        branch_code, account_type, account_number,
    )


async def account_by_id(conn: asyncpg.Connection | asyncpg.Pool, account_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM account WHERE id = $1", account_id)
