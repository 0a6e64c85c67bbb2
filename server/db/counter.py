"""Named queries of the counter: finding accounts by kana or phone, the locks in force, unlock requests.

``branch_code`` None means every branch (head office); a branch clerk's
queries always pass their own. Each search has its index (sql/0007_counter.sql).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from server.db.locks import LOCK_IN_FORCE

Conn = asyncpg.Connection | asyncpg.Pool

_LISTED = "id, branch_code, account_type, account_number, name_kana, status"


async def accounts_by_kana(conn: Conn, key: str, branch_code: str | None, limit: int) -> list[asyncpg.Record]:
    """Accounts whose name key starts with ``key`` (server.policy.kana.search_key: only katakana, no LIKE signs)."""
    return await conn.fetch(
        f"""SELECT {_LISTED} FROM account
             WHERE name_kana_key LIKE $1 || '%' AND ($2::text IS NULL OR branch_code = $2)
             ORDER BY name_kana_key, branch_code, account_type, account_number LIMIT $3""",
        key, branch_code, limit,
    )


async def accounts_by_phone(conn: Conn, e164: str, branch_code: str | None, limit: int) -> list[asyncpg.Record]:
    """Accounts with ``e164`` among their registered numbers."""
    return await conn.fetch(
        f"""SELECT {_LISTED} FROM account
             WHERE phones @> ARRAY[$1::text] AND ($2::text IS NULL OR branch_code = $2)
             ORDER BY branch_code, account_type, account_number LIMIT $3""",
        e164, branch_code, limit,
    )


async def locks_in_force(conn: Conn, branch_code: str | None, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Every identity or PIN lock in force at ``now``, the soonest to lift first."""
    return await conn.fetch(
        f"""SELECT a.branch_code, a.account_type, a.account_number, a.name_kana, f.kind, max(f.locked_until) AS until
              FROM account_failure f JOIN account a ON a.id = f.account_id
             WHERE {LOCK_IN_FORCE.format(now="$2")} AND ($1::text IS NULL OR a.branch_code = $1)
             GROUP BY a.id, f.kind
             ORDER BY until, a.branch_code, a.account_type, a.account_number, f.kind LIMIT $3""",
        branch_code, now, limit,
    )


async def account_history(conn: Conn, account_id: int, limit: int, offset: int) -> list[asyncpg.Record]:
    """One page of the account's operation log, newest first, with each line's app by name and operator."""
    return await conn.fetch(
        """SELECT l.*, c.name AS client_name, c.operator AS client_operator
             FROM operation_log l LEFT JOIN oauth_client c ON c.client_id = l.client_id
            WHERE l.account_id = $1 ORDER BY l.at DESC, l.id DESC LIMIT $2 OFFSET $3""",
        account_id, limit, offset,
    )
