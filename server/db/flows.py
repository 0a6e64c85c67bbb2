"""Named queries on flows: one customer's walk through the screens, bound to a cookie."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from server.db import oplog
from server.db.locks import LOCK_IN_FORCE

Conn = asyncpg.Connection | asyncpg.Pool


async def insert_flow(
    conn: Conn,
    *,
    flow_id: UUID,
    cookie_digest: bytes,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    state: str | None,
    code_challenge: str,
    dpop_jkt: str | None,
    response_mode: str | None,
    lang: str,
    step: str,
    now: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO flow (id, cookie_digest, client_id, redirect_uri, scopes, state, code_challenge,
                             code_challenge_method, dpop_jkt, response_mode, lang, step, created_at, last_seen_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'S256', $8, $9, $10, $11, $12, $12)""",
        flow_id, cookie_digest, client_id, redirect_uri, scopes, state, code_challenge, dpop_jkt,
        response_mode, lang, step, now,
    )


async def visit_by_cookie(conn: Conn, cookie_digest: bytes, *, now: datetime, lang: str | None, idle: timedelta,
                          touch_at_steps: list[str]) -> asyncpg.Record | None:
    """The flow (finished or not) as it stood before this request, with what every screen needs.

    Beside the flow's columns: its app's name and operator, its ``account``
    (a record, or None before screen ①), ``account_locked``, whether an
    identity or PIN lock of that account is in force at ``now``, and its
    newest ``phone_check`` (the one screen ④ shows, or None). In the same
    statement the flow is seen at ``now`` (and takes ``lang`` if one was asked
    for) when it is open, has not been idle longer than ``idle`` and its step is
    one of ``touch_at_steps``: one round trip for what every request reads.
    """
    return await conn.fetchrow(
        f"""WITH seen AS (
                UPDATE flow SET last_seen_at = $2, lang = COALESCE($3, lang)
                 WHERE cookie_digest = $1 AND finished_at IS NULL AND last_seen_at >= $2::timestamptz - $4::interval
                   AND step = ANY($5::text[]))
            SELECT f.*, c.name AS client_name, c.operator AS client_operator, a AS account,
                   EXISTS (SELECT 1 FROM account_failure
                            WHERE account_id = f.account_id AND {LOCK_IN_FORCE.format(now="$2")}) AS account_locked,
                   (SELECT p FROM phone_check p WHERE p.flow_id = f.id ORDER BY p.id DESC LIMIT 1) AS phone_check
              FROM flow f JOIN oauth_client c USING (client_id) LEFT JOIN account a ON a.id = f.account_id
             WHERE f.cookie_digest = $1""",
        cookie_digest, now, lang, idle, touch_at_steps,
    )


async def open_flow_for_update(conn: asyncpg.Connection, flow_id: UUID) -> asyncpg.Record | None:
    """The unfinished flow, row-locked until the caller's transaction ends (consent)."""
    return await conn.fetchrow("SELECT * FROM flow WHERE id = $1 AND finished_at IS NULL FOR UPDATE", flow_id)


async def pass_screen(conn: Conn, flow_id: UUID, *, step: str, now: datetime, log: oplog.Entry, account_id: int | None = None,
                      name_kana: str | None = None, email: str | None = None) -> None:
    """A screen passed: the flow moves on to ``step`` and the success is logged, in one statement.

    The flow keeps what the screen chose: screen ① the account, screen ② the
    kana name (for the operation log) and the address of the completion notice.
    """
    await conn.execute(
        f"""WITH passed AS (
                UPDATE flow SET step = $2, last_seen_at = $3, account_id = COALESCE($4, account_id),
                                name_kana = COALESCE($5, name_kana), email = COALESCE($6, email)
                 WHERE id = $1 AND finished_at IS NULL)
            {oplog.insert_sql(7)}""",
        flow_id, step, now, account_id, name_kana, email, *oplog.values(log),
    )


async def restart_flow(conn: Conn, flow_id: UUID, *, step: str, now: datetime, log: oplog.Entry) -> None:
    """Back to screen ① with nothing chosen (the phone check expired), and why, in one statement."""
    await conn.execute(
        f"""WITH restarted AS (
                UPDATE flow SET step = $2, account_id = NULL, name_kana = NULL, email = NULL, last_seen_at = $3, number_draws = 0
                 WHERE id = $1 AND finished_at IS NULL)
            {oplog.insert_sql(4)}""",
        flow_id, step, now, *oplog.values(log),
    )


async def end_flow(conn: Conn, flow_id: UUID, outcome: str, *, now: datetime, log: oplog.Entry,
                   log_if_already_ended: bool = False) -> bool:
    """End the flow (approved, denied, failed or expired) and log why, in one statement.

    False if it had already ended; the line is then written only if ``log_if_already_ended``.
    """
    return await conn.fetchval(
        f"""WITH ended AS (
                UPDATE flow SET finished_at = $3, outcome = $2 WHERE id = $1 AND finished_at IS NULL RETURNING id),
            logged AS ({oplog.insert_sql(5, where="$4::boolean OR EXISTS (SELECT 1 FROM ended)")})
            SELECT EXISTS (SELECT 1 FROM ended)""",
        flow_id, outcome, now, log_if_already_ended, *oplog.values(log),
    )
