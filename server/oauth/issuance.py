"""A successful token response (RFC 6749 §5.1): a JWT access token, recorded by its
jti, and, when asked, a new refresh token stored only as its digest."""

from __future__ import annotations

from typing import Any

import asyncpg

from server.db import tokens
from server.hashing import new_token, token_digest
from server.oauth.access_tokens import issue_access_token
from server.runtime import Runtime


async def issue_tokens(conn: asyncpg.Connection, runtime: Runtime, *, grant: asyncpg.Record, scopes: list[str],
                       jkt: str | None, new_refresh_token: bool) -> dict[str, Any]:
    """Run inside the caller's transaction, with the grant locked."""
    now = runtime.clock.now()
    access = issue_access_token(
        runtime.extras["signing_keys"], runtime.settings, grant_id=grant["id"], client_id=grant["client_id"],
        scopes=scopes, jkt=jkt, authenticated_at=grant["authenticated_at"], grant_expires_at=grant["expires_at"], now=now,
    )
    await tokens.record_access_token(conn, access.jti, grant["id"], issued_at=now, expires_at=access.expires_at)
    body: dict[str, Any] = {
        "access_token": access.value,
        "token_type": "DPoP" if jkt else "Bearer",
        "expires_in": int((access.expires_at - now).total_seconds()),
        "scope": " ".join(scopes),
    }
    if new_refresh_token:
        refresh = new_token(32)
        await tokens.insert_refresh_token(conn, token_digest(refresh), grant["id"], now)
        body["refresh_token"] = refresh
    return body
