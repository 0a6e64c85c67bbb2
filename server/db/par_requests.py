"""Named queries on pushed authorization requests (RFC 9126). The request_uri is stored
only as its SHA-256 digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def insert_pushed_request(conn: Conn, *, request_uri_digest: bytes, client_id: str, params: dict[str, Any],
                                now: datetime, expires_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO par_request (request_uri_digest, client_id, params, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        request_uri_digest, client_id, params, now, expires_at,
    )


async def take_pushed_params(conn: Conn, *, request_uri_digest: bytes, client_id: str, browser_digest: bytes,
                             now: datetime) -> dict[str, Any] | None:
    """Its parameters, for its own client, before it expires: the first time, or again for the
    browser that first opened it while the flow it last started is not finished (FAPI 2.0)."""
    return await conn.fetchval(
        """UPDATE par_request p SET used_at = coalesce(p.used_at, $3), browser_digest = $4
           WHERE p.request_uri_digest = $1 AND p.client_id = $2 AND p.expires_at > $3
             AND (p.used_at IS NULL
                  OR (p.browser_digest = $4
                      AND NOT EXISTS (SELECT 1 FROM flow f WHERE f.id = p.flow_id AND f.finished_at IS NOT NULL)))
           RETURNING p.params""",
        request_uri_digest, client_id, now, browser_digest,
    )


async def record_flow(conn: Conn, *, request_uri_digest: bytes, flow_id: Any) -> None:
    """The flow this request_uri started last: once it is finished, the request_uri opens nothing."""
    await conn.execute("UPDATE par_request SET flow_id = $2 WHERE request_uri_digest = $1", request_uri_digest, flow_id)
