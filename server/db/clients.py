"""Named queries on OAuth clients (apps and resource servers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

# A trigger NOTIFYs the client_id here whenever a client's row changes (sql/0003_client_changes.sql).
CHANGES_CHANNEL = "renkei_client"


async def get_client(conn: asyncpg.Connection | asyncpg.Pool, client_id: str, *, sandbox_apps: bool = True) -> asyncpg.Record | None:
    """An enabled client, or None; with ``sandbox_apps`` false (production, unless allowed), a sandbox app is None too."""
    return await conn.fetchrow(
        """SELECT * FROM oauth_client
            WHERE client_id = $1 AND disabled_at IS NULL AND ($2 OR kind <> 'app' OR profile <> 'sandbox')""",
        client_id, sandbox_apps,
    )


async def insert_client(
    conn: asyncpg.Connection | asyncpg.Pool, *, client_id: str, kind: str, name: str, operator: str, profile: str,
    auth_method: str, secret_digest: bytes | None, jwks: dict[str, Any] | None, jwks_uri: str | None,
    redirect_uris: list[str], scopes: list[str], require_par: bool, require_dpop: bool, created_at: datetime,
) -> bool:
    """Register a client; False (and nothing changed) when the client_id is taken."""
    written = await conn.fetchval(
        """INSERT INTO oauth_client (client_id, kind, name, operator, profile, auth_method, secret_digest, jwks,
                                     jwks_uri, redirect_uris, scopes, require_par, require_dpop, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (client_id) DO NOTHING
           RETURNING true""",
        client_id, kind, name, operator, profile, auth_method, secret_digest, jwks, jwks_uri,
        redirect_uris, scopes, require_par, require_dpop, created_at,
    )
    return bool(written)
