"""Named queries of the token side: codes, refresh tokens, access token records,
grant revocation (with its NOTIFY), and single-use ids (DPoP proofs, client assertions).

Tokens and codes are stored only as SHA-256 digests (server.hashing.token_digest).
Every function takes a connection; the caller decides the transaction.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool
# Every process listens here; payloads are "grant:<uuid>" and "jti:<jti>".
REVOCATION_CHANNEL = "renkei_revocation"


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


# -- authorization codes -----------------------------------------------------------

async def consume_code(conn: Conn, code_digest: bytes, now: datetime) -> asyncpg.Record | None:
    """Mark the code used and return it; None when it is unknown or was used before."""
    return await conn.fetchrow(
        "UPDATE authorization_code SET used_at = $2 WHERE code_digest = $1 AND used_at IS NULL RETURNING *",
        code_digest, now,
    )


async def grant_of_used_code(conn: Conn, code_digest: bytes) -> UUID | None:
    return await conn.fetchval(
        "SELECT grant_id FROM authorization_code WHERE code_digest = $1 AND used_at IS NOT NULL", code_digest
    )


# -- grants ------------------------------------------------------------------------

async def grant_for_update(conn: asyncpg.Connection, grant_id: UUID) -> asyncpg.Record | None:
    """The grant, locked: every change to a grant and its tokens locks the grant first."""
    return await conn.fetchrow(
        """SELECT g.*, a.status AS account_status FROM oauth_grant g JOIN account a ON a.id = g.account_id
            WHERE g.id = $1 FOR UPDATE OF g""",
        grant_id,
    )


async def grant_by_id(conn: Conn, grant_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM oauth_grant WHERE id = $1", grant_id)


async def use_grant(conn: Conn, grant_id: UUID, *, now: datetime, dpop_jkt: str | None) -> None:
    """Record the code's exchange (the first, for head office's live links), a use (for the idle limit),
    and bind the grant to the DPoP key it was first used with."""
    await conn.execute(
        """UPDATE oauth_grant SET last_used_at = $2, exchanged_at = COALESCE(exchanged_at, $2), dpop_jkt = COALESCE(dpop_jkt, $3)
            WHERE id = $1""",
        grant_id, now, dpop_jkt,
    )


async def revoke_grant(conn: asyncpg.Connection, grant_id: UUID, *, now: datetime, reason: str) -> bool:
    """Revoke the grant and every token issued from it; tell every process (delivered at commit).

    False when it was revoked already."""
    async with conn.transaction():
        revoked = await conn.fetchval(
            """UPDATE oauth_grant SET revoked_at = $2, revoked_reason = $3
               WHERE id = $1 AND revoked_at IS NULL RETURNING true""",
            grant_id, now, reason,
        )
        if not revoked:
            return False
        await conn.execute("UPDATE refresh_token SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL", grant_id, now)
        await conn.execute("UPDATE access_token SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL", grant_id, now)
        await conn.execute("SELECT pg_notify($1, $2)", REVOCATION_CHANNEL, f"grant:{grant_id}")
    return True


async def live_grants_of_account(conn: asyncpg.Connection, account_id: int) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM oauth_grant WHERE account_id = $1 AND revoked_at IS NULL ORDER BY id FOR UPDATE", account_id
    )
    return [row["id"] for row in rows]


# -- refresh tokens ----------------------------------------------------------------

async def insert_refresh_token(conn: Conn, token_digest: bytes, grant_id: UUID, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO refresh_token (token_digest, grant_id, issued_at) VALUES ($1, $2, $3)", token_digest, grant_id, now
    )


async def grant_of_refresh_token(conn: Conn, token_digest: bytes) -> UUID | None:
    return await conn.fetchval("SELECT grant_id FROM refresh_token WHERE token_digest = $1", token_digest)


async def refresh_token_with_grant(conn: Conn, token_digest: bytes) -> asyncpg.Record | None:
    """For introspection: the token's state and its grant, unlocked."""
    return await conn.fetchrow(
        """SELECT rt.rotated_at, rt.revoked_at AS token_revoked_at, rt.issued_at AS token_issued_at, g.*
           FROM refresh_token rt JOIN oauth_grant g ON g.id = rt.grant_id WHERE rt.token_digest = $1""",
        token_digest,
    )


async def refresh_token_state(conn: Conn, token_digest: bytes) -> asyncpg.Record | None:
    """The token, its grant and the grant's account status as they are now, unlocked: the
    change that follows (refresh_and_issue) takes its locks and checks again."""
    return await conn.fetchrow(
        """SELECT rt.rotated_at, rt.revoked_at AS token_revoked_at, g.*, a.status AS account_status
           FROM refresh_token rt JOIN oauth_grant g ON g.id = rt.grant_id JOIN account a ON a.id = g.account_id
           WHERE rt.token_digest = $1""",
        token_digest,
    )


# One statement, so one transaction: the grant is locked first (as every change to a grant
# and its tokens does), then the token. Each condition the caller checked on its earlier read
# is checked again under the lock, so a parallel refresh, a revocation or a new DPoP binding
# committed in between makes this issue nothing instead (the caller then reads again).
_REFRESH_AND_ISSUE = """
WITH used_grant AS (
    UPDATE oauth_grant SET last_used_at = $3, dpop_jkt = $5
     WHERE id = $2 AND revoked_at IS NULL AND dpop_jkt IS NOT DISTINCT FROM $4
    RETURNING id
), presented_token AS (
    UPDATE refresh_token SET rotated_at = CASE WHEN $6 THEN $3 END
     WHERE token_digest = $1 AND grant_id = (SELECT id FROM used_grant) AND rotated_at IS NULL AND revoked_at IS NULL
    RETURNING grant_id
), new_access_token AS (
    INSERT INTO access_token (jti, grant_id, issued_at, expires_at) SELECT $7, grant_id, $3, $8 FROM presented_token
), new_refresh_token AS (
    INSERT INTO refresh_token (token_digest, grant_id, issued_at) SELECT $9, grant_id, $3 FROM presented_token
     WHERE $9::bytea IS NOT NULL
)
SELECT count(*) = 1 FROM presented_token
"""


async def refresh_and_issue(conn: Conn, token_digest: bytes, grant_id: UUID, *, bound_jkt: str | None, jkt: str | None,
                            rotates: bool, jti: str, access_expires_at: datetime, new_refresh_digest: bytes | None,
                            now: datetime) -> bool:
    """Use the grant, rotate (or keep) the presented token, record the new access token and
    refresh token; True if done, False if the grant or the token changed since they were read."""
    return await conn.fetchval(_REFRESH_AND_ISSUE, token_digest, grant_id, now, bound_jkt, jkt, rotates, jti,
                               access_expires_at, new_refresh_digest)


# -- access tokens -----------------------------------------------------------------

async def record_access_token(conn: Conn, jti: str, grant_id: UUID, *, issued_at: datetime, expires_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO access_token (jti, grant_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
        jti, grant_id, issued_at, expires_at,
    )


async def revoke_access_token(conn: asyncpg.Connection, jti: str, *, now: datetime) -> bool:
    """Revoke one access token and tell every process; False when unknown or revoked already."""
    async with conn.transaction():
        revoked = await conn.fetchval(
            "UPDATE access_token SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL RETURNING true", jti, now
        )
        if revoked:
            await conn.execute("SELECT pg_notify($1, $2)", REVOCATION_CHANNEL, f"jti:{jti}")
    return bool(revoked)


# -- what the revocation set loads -----------------------------------------------------

async def revoked_grants_with_live_tokens(conn: Conn, now: datetime) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT grant_id FROM access_token WHERE revoked_at IS NOT NULL AND expires_at > $1", now
    )
    return [row["grant_id"] for row in rows]


async def revoked_live_access_tokens(conn: Conn, now: datetime) -> list[str]:
    rows = await conn.fetch("SELECT jti FROM access_token WHERE revoked_at IS NOT NULL AND expires_at > $1", now)
    return [row["jti"] for row in rows]


async def account_of_grant(conn: Conn, grant_id: UUID) -> asyncpg.Record | None:
    """The account a grant links (it never changes): branch_code, account_type, account_number."""
    return await conn.fetchrow(
        """SELECT a.branch_code, a.account_type, a.account_number
           FROM oauth_grant g JOIN account a ON a.id = g.account_id WHERE g.id = $1""",
        grant_id,
    )
