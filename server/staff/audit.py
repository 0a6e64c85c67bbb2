"""What the console writes to the operation log: who did what, from where, and when (the app's clock)."""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request

from server.db import oplog
from server.db.oplog import Entry, mask_account
from server.staff import sessions


def account_fields(account: asyncpg.Record) -> dict[str, Any]:
    """The account columns of a log entry: its id and the masked number (001-1-***4567)."""
    return {
        "account_id": account["id"],
        "account_masked": mask_account(account["branch_code"], account["account_type"], account["account_number"]),
    }


async def record(
    conn: asyncpg.Connection | asyncpg.Pool, request: Request, event: str, *, staff_id: str | None,
    outcome: str = "success", **fields: Any,
) -> None:
    """Append one line in the caller's transaction, so an action and its record commit together."""
    await oplog.append(conn, Entry(
        at=sessions.runtime_of(request).clock.now(), event=event, outcome=outcome, staff_id=staff_id,
        ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent"), **fields,
    ))
