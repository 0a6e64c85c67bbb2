"""The operation log (append-only): every attempt at every screen, every call, every staff action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg


def mask_account(branch_code: str, account_type: int | str, account_number: str) -> str:
    """001-1-***4567: enough for a clerk to recognise, not enough to use."""
    return f"{branch_code}-{account_type}-***{account_number[-4:]}"


@dataclass(frozen=True)
class Entry:
    """One line of the operation log. ``event`` is a string enum such as
    ``flow:account:failure``, ``ivr:call:matched``, ``staff:lock:clear``."""

    at: datetime
    event: str
    outcome: str  # success | failure | info
    reason_code: str | None = None
    account_id: int | None = None
    account_masked: str | None = None
    name_kana: str | None = None
    client_id: str | None = None
    flow_id: UUID | None = None
    staff_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# The columns of one line and their types, in the order of ``values``.
COLUMNS = (("at", "timestamptz"), ("event", "text"), ("outcome", "text"), ("reason_code", "text"), ("account_id", "bigint"),
           ("account_masked", "text"), ("name_kana", "text"), ("client_id", "text"), ("flow_id", "uuid"),
           ("staff_id", "text"), ("ip", "text"), ("user_agent", "text"), ("detail", "jsonb"))


def values(entry: Entry) -> tuple[Any, ...]:
    """The parameters of ``insert_sql``, in the order of COLUMNS."""
    return (entry.at, entry.event, entry.outcome, entry.reason_code, entry.account_id, entry.account_masked,
            entry.name_kana, entry.client_id, entry.flow_id, entry.staff_id, entry.ip,
            (entry.user_agent or "")[:512] or None, entry.detail)


def insert_sql(first: int = 1, *, where: str | None = None) -> str:
    """The INSERT of one line whose values are the parameters ``$first`` on, written only ``where`` that holds.

    A statement that changes something can log it in the same round trip:
    ``WITH changed AS (UPDATE ...) INSERT INTO operation_log ...``.
    """
    names = ", ".join(name for name, _ in COLUMNS)
    params = ", ".join(f"${first + i}::{type_}" for i, (_, type_) in enumerate(COLUMNS))
    return f"INSERT INTO operation_log ({names}) SELECT {params}" + (f" WHERE {where}" if where else "")


async def append(conn: asyncpg.Connection | asyncpg.Pool, entry: Entry) -> None:
    await conn.execute(insert_sql(), *values(entry))


# A refusal's line (the parameters of ``values``, then the browser's flow cookie digest): the
# flow behind the cookie gives its app, its account (masked as mask_account does) and the kana;
# without one, the app is the one the entry names only if that is an app of ours.
_REFUSAL = """
    INSERT INTO operation_log (at, event, outcome, reason_code, account_id, account_masked, name_kana, client_id,
                               flow_id, staff_id, ip, user_agent, detail)
    SELECT $1, $2, $3, $4, COALESCE(f.account_id, $5::bigint),
           COALESCE(a.branch_code || '-' || a.account_type || '-***' || right(a.account_number, 4), $6::text),
           COALESCE(f.name_kana, $7::text),
           COALESCE(f.client_id, (SELECT client_id FROM oauth_client WHERE client_id = $8::text AND kind = 'app')),
           COALESCE(f.id, $9::uuid), $10, $11, $12, $13::jsonb
      FROM (SELECT) AS one
      LEFT JOIN flow f ON f.cookie_digest = $14::bytea
      LEFT JOIN account a ON a.id = f.account_id
"""


async def append_refusal(conn: asyncpg.Connection | asyncpg.Pool, entry: Entry, *, cookie_digest: bytes | None,
                         timeout: float) -> None:
    """A screen turned away before its handler ran (S01, S03), in one statement: of the browser's flow if it has one."""
    await conn.execute(_REFUSAL, *values(entry), cookie_digest, timeout=timeout)
