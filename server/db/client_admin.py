"""Named queries for operators managing clients (`renkei clients list | show | disable | enable | rotate-secret |
end-previous-secret | remove`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from server.db.tokens import REVOCATION_CHANNEL

Conn = asyncpg.Connection | asyncpg.Pool

# What an operator sees of a client; never a secret's digest, only when a previous secret ends.
_SHOWN = """c.client_id, c.kind, c.name, c.operator, c.profile, c.auth_method, c.redirect_uris, c.scopes,
            c.require_par, c.require_dpop, c.jwks_uri, c.jwks IS NOT NULL AS has_jwks, c.created_at, c.disabled_at,
            c.removed_at, c.previous_secret_ends_at,
            (SELECT count(*) FROM oauth_grant g WHERE g.client_id = c.client_id AND g.revoked_at IS NULL) AS live_grants"""


async def list_clients(conn: Conn, *, removed_too: bool) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_SHOWN} FROM oauth_client c WHERE $1 OR removed_at IS NULL ORDER BY created_at, client_id",
                            removed_too)


async def client_for_update(conn: asyncpg.Connection, client_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_SHOWN} FROM oauth_client c WHERE client_id = $1 FOR UPDATE", client_id)


async def shown_client(conn: Conn, client_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_SHOWN} FROM oauth_client c WHERE client_id = $1", client_id)


async def set_disabled(conn: asyncpg.Connection, client_id: str, disabled_at: datetime | None) -> None:
    """The trigger of sql/0003 tells every server process to forget the client (and look it up again)."""
    await conn.execute("UPDATE oauth_client SET disabled_at = $2 WHERE client_id = $1", client_id, disabled_at)


async def revoke_live_access_tokens(conn: asyncpg.Connection, client_id: str, now: datetime) -> int:
    """Revoke the client's unexpired access tokens and tell every process; its grants and refresh tokens stay."""
    return await conn.fetchval(
        """WITH revoked AS (
               UPDATE access_token t SET revoked_at = $2
                 FROM oauth_grant g
                WHERE g.id = t.grant_id AND g.client_id = $1 AND t.revoked_at IS NULL AND t.expires_at > $2
               RETURNING t.jti)
           SELECT count(pg_notify($3, 'jti:' || jti)) FROM revoked""",
        client_id, now, REVOCATION_CHANNEL,
    )


async def replace_secret(conn: asyncpg.Connection, client_id: str, digest: bytes, previous_ends_at: datetime | None) -> datetime | None:
    """The new secret's digest in force; the replaced one kept as the previous secret until ``previous_ends_at``
    (None: not kept). Any older previous secret is dropped. When the kept one ends (None: none kept)."""
    return await conn.fetchval(
        """UPDATE oauth_client
              SET previous_secret_digest = CASE WHEN $3::timestamptz IS NOT NULL THEN secret_digest END,
                  previous_secret_ends_at = CASE WHEN secret_digest IS NOT NULL THEN $3::timestamptz END,
                  secret_digest = $2
            WHERE client_id = $1
        RETURNING previous_secret_ends_at""",
        client_id, digest, previous_ends_at,
    )


async def end_previous_secret(conn: asyncpg.Connection, client_id: str) -> None:
    await conn.execute("UPDATE oauth_client SET previous_secret_digest = NULL, previous_secret_ends_at = NULL WHERE client_id = $1",
                       client_id)


async def live_grant_ids(conn: asyncpg.Connection, client_id: str) -> list[Any]:
    rows = await conn.fetch("SELECT id FROM oauth_grant WHERE client_id = $1 AND revoked_at IS NULL ORDER BY id FOR UPDATE",
                            client_id)
    return [row["id"] for row in rows]


async def mark_removed(conn: asyncpg.Connection, client_id: str, now: datetime) -> None:
    await conn.execute("UPDATE oauth_client SET removed_at = $2, disabled_at = COALESCE(disabled_at, $2) WHERE client_id = $1",
                       client_id, now)
