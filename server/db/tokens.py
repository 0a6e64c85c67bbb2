"""Named queries of the token side: codes, refresh tokens, access token records,
grant revocation (with its NOTIFY), and single-use ids (DPoP proofs, client assertions).

Tokens and codes are stored only as SHA-256 digests (server.hashing.token_digest).
Every function takes a connection; the caller decides the transaction.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def remember_once(conn: Conn, key: str, *, seen_at: datetime, forget_after: datetime) -> bool:
    """Record a single-use id; False when it was seen before (a replay).

    DPoP proof ids and client assertion ids share the dpop_proof table,
    namespaced by a prefix ("dpop:", "client_assertion:<client_id>:").
    """
    inserted = await conn.fetchval(
        """INSERT INTO dpop_proof (jti, seen_at, forget_after) VALUES ($1, $2, $3)
           ON CONFLICT (jti) DO NOTHING RETURNING true""",
        key, seen_at, forget_after,
    )
    return bool(inserted)


async def forget_single_use_ids(conn: Conn, now: datetime) -> int:
    """Drop ids whose proofs can no longer be presented anyway."""
    status = await conn.execute("DELETE FROM dpop_proof WHERE forget_after < $1", now)
    return int(status.split()[-1])
