"""Named queries creating what screen ⑥ gives the app: a grant and its authorization code.

The token side consumes codes from authorization_code; only the code's SHA-256
digest is stored, so a copy of the database cannot redeem one.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from server.hashing import new_token, token_digest


async def create_grant(
    conn: asyncpg.Connection,
    *,
    client_id: str,
    account_id: int,
    scopes: list[str],
    dpop_jkt: str | None,
    now: datetime,
    max_days: int,
) -> UUID:
    """The customer's approval, valid for ``max_days`` from now at the longest."""
    grant_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO oauth_grant (id, client_id, account_id, scopes, dpop_jkt, authenticated_at, expires_at, last_used_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $6)""",
        grant_id, client_id, account_id, scopes, dpop_jkt, now, now + timedelta(days=max_days),
    )
    return grant_id


async def create_authorization_code(
    conn: asyncpg.Connection,
    *,
    grant_id: UUID,
    client_id: str,
    redirect_uri: str,
    code_challenge: str,
    dpop_jkt: str | None,
    now: datetime,
    lifetime_seconds: int,
) -> str:
    """A single-use code bound to the client, redirect URI, PKCE challenge and DPoP key; returns the code."""
    code = new_token(32)
    await conn.execute(
        """INSERT INTO authorization_code (code_digest, grant_id, client_id, redirect_uri, code_challenge, dpop_jkt,
                                           issued_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        token_digest(code), grant_id, client_id, redirect_uri, code_challenge, dpop_jkt, now,
        now + timedelta(seconds=lifetime_seconds),
    )
    return code
