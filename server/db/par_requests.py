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


async def take_pushed_params(conn: Conn, *, request_uri_digest: bytes, client_id: str, now: datetime) -> dict[str, Any] | None:
    """Mark the request used and return its parameters: once, for its own client, before it expires."""
    return await conn.fetchval(
        """UPDATE par_request SET used_at = $3
           WHERE request_uri_digest = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3
           RETURNING params""",
        request_uri_digest, client_id, now,
    )
