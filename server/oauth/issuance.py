"""A successful token response (RFC 6749 §5.1): a JWT access token, recorded by its
jti, and, when asked, a new refresh token stored only as its digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from server.db import tokens
from server.hashing import new_token, token_digest
from server.oauth.access_tokens import AccessToken, issue_access_token
from server.runtime import Runtime


@dataclass(frozen=True)
class NewTokens:
    """Made, not yet recorded: nothing is sent unless the transaction that records them commits."""

    access: AccessToken
    refresh_token: str | None
    jkt: str | None
    scopes: list[str]

    @property
    def refresh_digest(self) -> bytes | None:
        return token_digest(self.refresh_token) if self.refresh_token else None

    def response(self, now: datetime) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access.value,
            "token_type": "DPoP" if self.jkt else "Bearer",
            "expires_in": int((self.access.expires_at - now).total_seconds()),
            "scope": " ".join(self.scopes),
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body


def new_tokens(runtime: Runtime, *, grant: asyncpg.Record, scopes: list[str], jkt: str | None, with_refresh_token: bool,
               now: datetime) -> NewTokens:
    access = issue_access_token(
        runtime.extras["signing_keys"], runtime.settings, grant_id=grant["id"], client_id=grant["client_id"],
        scopes=scopes, jkt=jkt, authenticated_at=grant["authenticated_at"], grant_expires_at=grant["expires_at"], now=now,
    )
    return NewTokens(access, new_token(32) if with_refresh_token else None, jkt, scopes)


async def record_new_tokens(conn: asyncpg.Connection, grant_id: UUID, issued: NewTokens, now: datetime) -> None:
    """Run inside the caller's transaction, with the grant locked."""
    await tokens.record_access_token(conn, issued.access.jti, grant_id, issued_at=now, expires_at=issued.access.expires_at)
    if issued.refresh_digest:
        await tokens.insert_refresh_token(conn, issued.refresh_digest, grant_id, now)
