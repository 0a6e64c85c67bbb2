"""The operation log as CSV for auditors: UTF-8 with a BOM (Excel then reads the kana), streamed a batch at a time.

Shared by ``GET /staff/api/log.csv`` and ``renkei oplog export``. Each export
is itself a line of the operation log (who, which filters), written once the
export's snapshot is taken, so it is the next export's line, not this one's.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import asyncpg

from server.clock import TOKYO
from server.db import oplog, oplog_search
from server.db.oplog_search import COLUMNS, LogQuery
from server.policy.log_filters import LogFilters

BOM = "\ufeff"
EXPORT_EVENT = "oplog:export"
# A cell Excel would take for a formula (a user agent or a name is typed by someone else).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(TOKYO).isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


async def log_query(conn: asyncpg.Connection | asyncpg.Pool, filters: LogFilters) -> LogQuery:
    """The filters as a query; an account that does not exist matches nothing (id 0)."""
    account_id = await oplog_search.account_id_of(conn, *filters.account) or 0 if filters.account else None
    return LogQuery(start=filters.period.start, end=filters.period.end, branch_code=filters.branch, account_id=account_id,
                    client_id=filters.app, screen=filters.screen, outcome=filters.result, reason_code=filters.reason)


def audit_entry(filters: LogFilters, now: datetime, *, staff_id: str | None, ip: str | None = None, **detail: Any) -> oplog.Entry:
    return oplog.Entry(at=now, event=EXPORT_EVENT, outcome="info", staff_id=staff_id, ip=ip,
                       detail={"filters": filters.as_audit(), "format": "csv", **detail})


async def csv_chunks(pool: asyncpg.Pool, filters: LogFilters, audit: oplog.Entry) -> AsyncIterator[bytes]:
    """The BOM and header, then one chunk of CSV per batch of lines; ``audit`` is logged once the snapshot is taken."""
    yield (BOM + csv_text([COLUMNS])).encode()
    async with pool.acquire() as conn:
        query = await log_query(conn, filters)

        async def record_export() -> None:
            await oplog.append(pool, audit)

        async for batch in oplog_search.stream(conn, query, snapshot_taken=record_export):
            yield csv_text(batch).encode()


def file_name(filters: LogFilters) -> str:
    scope = f"-{filters.branch}" if filters.branch else ""
    return f"renkei-oplog{scope}-{filters.period.first:%Y%m%d}-{filters.period.last:%Y%m%d}.csv"

