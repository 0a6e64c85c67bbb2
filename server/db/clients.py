"""Named queries on OAuth clients (apps and resource servers)."""

from __future__ import annotations

import asyncpg


async def get_client(conn: asyncpg.Connection | asyncpg.Pool, client_id: str) -> asyncpg.Record | None:
    """An enabled client, or None."""
    return await conn.fetchrow("SELECT * FROM oauth_client WHERE client_id = $1 AND disabled_at IS NULL", client_id)
