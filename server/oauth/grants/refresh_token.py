"""grant_type=refresh_token (RFC 6749 §6).

Sandbox apps: the refresh token rotates on every use, and a rotated one presented
again revokes the whole grant (RFC 9700 §4.14.2). FAPI 2.0 apps: the refresh
token is bound to the grant's DPoP key and does not rotate (FAPI 2.0 §5.3.2.1).

One explicit transaction locks the grant, then the token, so parallel refreshes
of one token are decided one after the other: exactly one wins, and the others
are reuse.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from server.db import tokens
from server.hashing import token_digest
from server.oauth.dpop import DpopProof
from server.oauth.errors import InvalidDpopProof, InvalidGrant, InvalidRequest, InvalidScope, OAuthError
from server.oauth.grants.lifetime import grant_problem
from server.oauth.grants.security_events import record_revocation
from server.oauth.issuance import issue_tokens
from server.runtime import Runtime


async def refresh(runtime: Runtime, conn: asyncpg.Connection, client: asyncpg.Record, form: dict[str, str],
                  proof: DpopProof | None) -> dict[str, Any]:
    if "refresh_token" not in form:
        raise InvalidRequest("refresh_token is required")
    digest = token_digest(form["refresh_token"])
    grant_id = await tokens.grant_of_refresh_token(conn, digest)
    if grant_id is None:
        raise InvalidGrant("the refresh token is unknown")
    async with conn.transaction():
        outcome = await _refresh(conn, runtime, client, grant_id, digest, form.get("scope"), proof)
    if isinstance(outcome, OAuthError):  # refused, but the revocation it caused is committed
        raise outcome
    return outcome


async def _refresh(conn: asyncpg.Connection, runtime: Runtime, client: asyncpg.Record, grant_id: UUID, digest: bytes,
                   scope: str | None, proof: DpopProof | None) -> dict[str, Any] | OAuthError:
    now = runtime.clock.now()
    grant = await tokens.grant_for_update(conn, grant_id)
    token = await tokens.refresh_token_for_update(conn, digest)
    if grant["client_id"] != client["client_id"]:
        raise InvalidGrant("the refresh token was issued to another client")
    if token["revoked_at"] is not None or grant["revoked_at"] is not None:
        raise InvalidGrant("the refresh token was revoked")
    if token["rotated_at"] is not None:
        await tokens.revoke_grant(conn, grant_id, now=now, reason="refresh_token_reused")
        runtime.extras["revocations"].note(grant_id=grant_id)
        await record_revocation(conn, grant_id, event="oauth:refresh_token:reused", client_id=client["client_id"], now=now)
        return InvalidGrant("the refresh token was already used; the grant is revoked")
    problem = grant_problem(grant, now=now, policy=runtime.settings.policy)
    if problem:
        raise InvalidGrant(problem)
    jkt = bound_key(grant["dpop_jkt"], proof)
    scopes = narrowed_scopes(list(grant["scopes"]), scope)
    rotates = client["profile"] != "fapi2"
    if rotates:
        await tokens.rotate_refresh_token(conn, digest, now)
    await tokens.use_grant(conn, grant_id, now=now, dpop_jkt=jkt)
    return await issue_tokens(conn, runtime, grant=grant, scopes=scopes, jkt=jkt, new_refresh_token=rotates)


def bound_key(grant_jkt: str | None, proof: DpopProof | None) -> str | None:
    """A grant bound to a DPoP key refreshes only with a proof made by that key."""
    if grant_jkt is None:
        return proof.jkt if proof else None
    if proof is None:
        raise InvalidDpopProof("this refresh token is bound to a DPoP key; send a DPoP proof made with it")
    if proof.jkt != grant_jkt:
        raise InvalidGrant("the refresh token is bound to another DPoP key")
    return grant_jkt


def narrowed_scopes(granted: list[str], requested: str | None) -> list[str]:
    """RFC 6749 §6: the same scopes, or fewer; never more."""
    if requested is None:
        return granted
    asked = requested.split()
    if not asked or not set(asked) <= set(granted):
        raise InvalidScope("a refresh may keep or narrow the granted scopes, never widen them")
    return [s for s in granted if s in asked]
