"""Named queries on customers' accounts."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from server.db.locks import LOCK_IN_FORCE


async def find_account(conn: asyncpg.Connection | asyncpg.Pool, branch_code: str, account_type: int, account_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM account WHERE branch_code = $1 AND account_type = $2 AND account_number = $3",
        branch_code, account_type, account_number,
    )


async def account_to_link(conn: asyncpg.Connection | asyncpg.Pool, branch_code: str, account_type: int, account_number: str, *,
                          now: datetime) -> asyncpg.Record | None:
    """The account typed on screen ①, with ``locked``: whether an identity or PIN lock of it is in force at ``now``."""
    return await conn.fetchrow(
        f"""SELECT a.*, EXISTS (SELECT 1 FROM account_failure
                                 WHERE account_id = a.id AND {LOCK_IN_FORCE.format(now="$4")}) AS locked
              FROM account a WHERE branch_code = $1 AND account_type = $2 AND account_number = $3""",
        branch_code, account_type, account_number, now,
    )


async def account_by_id(conn: asyncpg.Connection | asyncpg.Pool, account_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM account WHERE id = $1", account_id)


# The columns an import writes, in the order of the tuples ``upsert_accounts`` takes.
IMPORTED_COLUMNS = ("branch_code", "account_type", "account_number", "birth_date", "name_kana", "phones",
                    "pin_hash", "cash_card", "status", "moved_to", "pin_pepper_id")


async def pin_hashes_of(conn: asyncpg.Connection | asyncpg.Pool,
                        keys: list[tuple[str, int, str]]) -> dict[tuple[str, int, str], tuple[str, str]]:
    """The stored PIN hash and its pepper's id of each (branch_code, account_type, account_number) that exists."""
    rows = await conn.fetch(
        """SELECT a.branch_code, a.account_type, a.account_number, a.pin_hash, a.pin_pepper_id
             FROM account a
             JOIN unnest($1::text[], $2::smallint[], $3::text[]) AS k(branch_code, account_type, account_number)
               USING (branch_code, account_type, account_number)""",
        [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
    )
    return {(r["branch_code"], r["account_type"], r["account_number"]): (r["pin_hash"], r["pin_pepper_id"]) for r in rows}


async def upsert_accounts(conn: asyncpg.Connection, rows: list[tuple], imported_at: datetime) -> tuple[int, int]:
    """Insert or update accounts keyed on (branch_code, account_type, account_number): (inserted, updated).

    ``rows`` are tuples in the order of IMPORTED_COLUMNS. A row equal to what is
    stored is left alone (its imported_at too), so re-importing an extract
    changes nothing. Call inside a transaction: the rows go through a temporary
    table that lives until commit, and are written in key order so that two
    imports at once cannot deadlock.
    """
    columns = ", ".join(IMPORTED_COLUMNS)
    await conn.execute(
        """CREATE TEMPORARY TABLE account_import (
               branch_code text, account_type smallint, account_number text, birth_date date, name_kana text,
               phones text[], pin_hash text, cash_card boolean, status text, moved_to text, pin_pepper_id text
           ) ON COMMIT DROP"""
    )
    await conn.copy_records_to_table("account_import", records=rows, columns=list(IMPORTED_COLUMNS))
    changed = ", ".join(f"{c} = excluded.{c}" for c in (*IMPORTED_COLUMNS[3:], "imported_at"))
    stored = ", ".join(f"account.{c}" for c in IMPORTED_COLUMNS[3:])
    given = ", ".join(f"excluded.{c}" for c in IMPORTED_COLUMNS[3:])
    written = await conn.fetch(
        f"""INSERT INTO account ({columns}, imported_at)
            SELECT {columns}, $1 FROM account_import ORDER BY branch_code, account_type, account_number
            ON CONFLICT (branch_code, account_type, account_number) DO UPDATE SET {changed}
            WHERE ({stored}) IS DISTINCT FROM ({given})
            RETURNING xmax = 0 AS inserted  -- xmax is 0 only on a row this statement inserted""",
        imported_at,
    )
    inserted = sum(1 for r in written if r["inserted"])
    return inserted, len(written) - inserted


async def mark_moved(conn: asyncpg.Connection | asyncpg.Pool, account_id: int, moved_to: str) -> None:
    """Record a 移管: the account now lives at ``moved_to`` (BBB-T-NNNNNNN)."""
    await conn.execute("UPDATE account SET status = 'moved', moved_to = $2 WHERE id = $1", account_id, moved_to)
