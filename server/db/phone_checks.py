"""Named queries on phone checks: the auth numbers shown on screen ④ and the calls that satisfy them.

Expiry is decided by comparing ``expires_at`` with the application's clock, passed
in as ``now``: an open check past its deadline stays ``open`` in the table and is
simply never matched.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool

CHANNEL = "renkei_phone_check"


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(f"renkei:{name}".encode()).digest()[:8], "big", signed=True)


async def lock_for_new_check(conn: asyncpg.Connection, account_id: int, caller_phones: list[str]) -> None:
    """Serialise new checks of this account and of anyone sharing its phones (until commit).

    Keys are taken in sorted order so two transactions never wait on each other in a ring:
    one statement, locking row by row in the array's order (unnest keeps it).
    """
    keys = sorted({_lock_key(f"account:{account_id}"), *(_lock_key(f"phone:{p}") for p in caller_phones)})
    await conn.execute("SELECT pg_advisory_xact_lock(key) FROM unnest($1::bigint[]) AS key", keys)


async def void_open_checks_of_account(conn: Conn, account_id: int) -> int:
    """A new attempt voids the account's older pending checks; returns how many."""
    status = await conn.execute("UPDATE phone_check SET state = 'void' WHERE account_id = $1 AND state = 'open'", account_id)
    return int(status.split()[-1])


async def numbers_waiting_for(conn: Conn, caller_phones: list[str], now: datetime) -> set[str]:
    """Auth numbers on which a call from any of these phones would already match a waiting check."""
    rows = await conn.fetch(
        """SELECT DISTINCT auth_number FROM phone_check
           WHERE state = 'open' AND expires_at >= $2 AND caller_phones && $1::text[]""",
        caller_phones, now,
    )
    return {r["auth_number"] for r in rows}


async def insert_open_check(
    conn: Conn, *, flow_id: UUID, account_id: int, auth_number: str, caller_phones: list[str],
    shown_at: datetime, expires_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO phone_check (flow_id, account_id, auth_number, caller_phones, shown_at, expires_at, state)
           VALUES ($1, $2, $3, $4, $5, $6, 'open')
           RETURNING id, auth_number, expires_at, state""",
        flow_id, account_id, auth_number, caller_phones, shown_at, expires_at,
    )


async def newest_check_of_flow(conn: Conn, flow_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, state, expires_at, refused_call, refused_at FROM phone_check WHERE flow_id = $1 ORDER BY id DESC LIMIT 1",
        flow_id,
    )


async def count_draw(conn: Conn, flow_id: UUID, cap: int) -> bool:
    """One more auth number for this flow, if it has drawn fewer than ``cap``: one atomic statement."""
    drawn = await conn.fetchval(
        "UPDATE flow SET number_draws = number_draws + 1 WHERE id = $1 AND number_draws < $2 RETURNING number_draws",
        flow_id, cap,
    )
    return drawn is not None


async def note_refused_call(conn: asyncpg.Connection, *, auth_number: str, refused: str, now: datetime) -> int:
    """Mark the checks waiting on this number with a call that could not count, and NOTIFY their flows
    (delivered at commit) so their screens say so at once; returns how many. One statement."""
    return await conn.fetchval(
        """WITH marked AS (
               UPDATE phone_check SET refused_call = $2, refused_at = $3
                WHERE auth_number = $1 AND state = 'open' AND shown_at <= $3 AND expires_at > $3
                RETURNING flow_id),
             told AS (SELECT pg_notify($4, flow_id::text) FROM marked)
           SELECT count(*) FROM told""",
        auth_number, refused, now, CHANNEL,
    )


async def match_call(conn: asyncpg.Connection, *, auth_number: str, caller: str, call_sid: str, now: datetime) -> asyncpg.Record | None:
    """Mark matched the newest waiting check that this call satisfies, in one statement.

    The row lock of ``FOR UPDATE`` and the re-check of ``state`` make two calls
    racing for one check end with exactly one match. Returns the check with the
    account's number parts (for the masked form in the log), or None.
    """
    return await conn.fetchrow(
        """WITH chosen AS (
               SELECT id FROM phone_check
               WHERE auth_number = $1 AND state = 'open' AND $2 = ANY(caller_phones)
                 AND shown_at <= $4 AND expires_at >= $4
               ORDER BY shown_at DESC, id DESC
               LIMIT 1
               FOR UPDATE)
           UPDATE phone_check AS p SET state = 'matched', call_sid = $3, matched_at = $4
           FROM chosen, account AS a
           WHERE p.id = chosen.id AND p.state = 'open' AND a.id = p.account_id
           RETURNING p.id, p.flow_id, p.account_id, a.branch_code, a.account_type, a.account_number""",
        auth_number, caller, call_sid, now,
    )


async def announce_match(conn: asyncpg.Connection, flow_id: UUID) -> None:
    """NOTIFY every server process; PostgreSQL delivers it when the transaction commits."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(flow_id))


async def missed_deadline(conn: Conn, *, auth_number: str, caller: str, now: datetime) -> asyncpg.Record | None:
    """The newest check of this caller on this number whose window has already closed, as match_call
    returns a check (so a late call is logged with the flow and account it was late for), or None."""
    return await conn.fetchrow(
        """SELECT p.id, p.flow_id, p.account_id, a.branch_code, a.account_type, a.account_number
             FROM phone_check p JOIN account a ON a.id = p.account_id
            WHERE p.auth_number = $1 AND p.state = 'open' AND $2 = ANY(p.caller_phones) AND p.expires_at < $3
            ORDER BY p.expires_at DESC, p.id DESC LIMIT 1""",
        auth_number, caller, now,
    )


async def matched_flows(conn: Conn, flow_ids: list[UUID]) -> set[UUID]:
    """Of these flows, those whose newest check is matched."""
    rows = await conn.fetch(
        """SELECT flow_id FROM (
               SELECT DISTINCT ON (flow_id) flow_id, state FROM phone_check
               WHERE flow_id = ANY($1::uuid[]) ORDER BY flow_id, id DESC) AS newest
           WHERE state = 'matched'""",
        flow_ids,
    )
    return {r["flow_id"] for r in rows}
