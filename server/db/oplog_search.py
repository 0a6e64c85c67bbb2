"""Searching and exporting the operation log: one WHERE clause for the page, the CSV and the CLI.

Newest first, a page at a time by keyset (``before``: the id of the last line
shown), so page 1,000 costs what page 1 costs. The export reads through a
server-side cursor in a REPEATABLE READ transaction: the log as it stood when
the export began, a batch at a time, never the whole range in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool
COLUMNS = ("id", "at", "event", "outcome", "reason_code", "branch_code", "account_masked", "name_kana", "client_id",
           "flow_id", "staff_id", "ip", "user_agent", "detail")
BATCH = 500


@dataclass(frozen=True)
class LogQuery:
    """What to look for; None: anything. ``start``/``end`` bound ``at`` (end exclusive)."""

    start: datetime
    end: datetime
    branch_code: str | None = None
    account_id: int | None = None
    client_id: str | None = None
    screen: str | None = None  # a stage name (account … consent) or "authorize"
    outcome: str | None = None  # success | failure | info
    reason_code: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause (without the word) and its parameters $1…."""
        params: list[Any] = [self.start, self.end]
        clauses = ["at >= $1", "at < $2"]
        for column, value in (("branch_code", self.branch_code), ("account_id", self.account_id), ("client_id", self.client_id),
                              ("outcome", self.outcome), ("reason_code", self.reason_code)):
            if value is not None:
                params.append(value)
                clauses.append(f"{column} = ${len(params)}")
        if self.screen is not None:
            params.append(f"flow:{self.screen}:%")
            clauses.append(f"event LIKE ${len(params)}")
        return " AND ".join(clauses), params


_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM operation_log"


async def page(conn: Conn, query: LogQuery, *, before: int | None, size: int) -> list[asyncpg.Record]:
    """Up to ``size`` lines, newest first, older than the line ``before`` (an id) when given."""
    where, params = query.where()
    if before is not None:
        params.append(before)
        where += f" AND (at, id) < (SELECT at, id FROM operation_log WHERE id = ${len(params)})"
    params.append(size)
    return await conn.fetch(f"{_SELECT} WHERE {where} ORDER BY at DESC, id DESC LIMIT ${len(params)}", *params)


async def stream(conn: asyncpg.Connection, query: LogQuery, *, snapshot_taken: Any = None) -> AsyncIterator[list[asyncpg.Record]]:
    """Every matching line, oldest first, in batches of BATCH, through a cursor in one read-only snapshot.

    ``snapshot_taken`` (an async callable) runs once the snapshot exists, before
    the first batch: the export's own audit line is written then, and so is not
    part of the export.
    """
    where, params = query.where()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(f"{_SELECT} WHERE {where} ORDER BY at, id", *params)
        if snapshot_taken is not None:
            await snapshot_taken()
        while batch := await cursor.fetch(BATCH):
            yield batch


async def account_id_of(conn: Conn, branch_code: str, account_type: int, account_number: str) -> int | None:
    return await conn.fetchval(
        "SELECT id FROM account WHERE branch_code = $1 AND account_type = $2 AND account_number = $3",
        branch_code, account_type, account_number,
    )
