"""A grant revoked by the token side (a leaked code or refresh token, or the app's own
revocation): the bank's operation log records it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from server.db import oplog, tokens
from server.db.accounts import account_by_id
from server.logs import get_logger

log = get_logger(__name__)


async def record_revocation(conn: asyncpg.Connection, grant_id: UUID, *, event: str, client_id: str, now: datetime,
                            outcome: str = "failure") -> None:
    grant = await tokens.grant_by_id(conn, grant_id)
    account = await account_by_id(conn, grant["account_id"]) if grant else None
    masked = oplog.mask_account(account["branch_code"], account["account_type"], account["account_number"]) if account else None
    await oplog.append(conn, oplog.Entry(
        at=now, event=event, outcome=outcome, account_id=account["id"] if account else None, account_masked=masked,
        client_id=client_id, detail={"grant_id": str(grant_id), "revoked": True},
    ))
    (log.warning if outcome == "failure" else log.info)(event, client_id=client_id, grant_id=str(grant_id), account=masked)
