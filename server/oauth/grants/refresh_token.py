"""grant_type=refresh_token (RFC 6749 §6).

Sandbox apps: the refresh token rotates on every use, and a rotated one presented
again revokes the whole grant (RFC 9700 §4.14.2). FAPI 2.0 apps: the refresh
token is bound to the grant's DPoP key and does not rotate (FAPI 2.0 §5.3.2.1).

Two round trips: the token and its grant are read, every check is made, and one
statement (server.db.tokens.refresh_and_issue) then uses the grant, rotates the
token and records the new tokens, checking again under its locks that nothing it
relied on has changed. Parallel refreshes of one token are decided there: exactly
one issues; the others read again, find the token rotated, and that is reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from server.db import tokens
from server.hashing import token_digest
from server.oauth.dpop import DpopProof
from server.oauth.errors import InvalidDpopProof, InvalidGrant, InvalidRequest, InvalidScope, ServerError
from server.oauth.grants.lifetime import grant_problem
from server.oauth.grants.security_events import record_revocation
from server.oauth.issuance import new_tokens
from server.runtime import Runtime
from server.settings import PolicySettings

# Each further attempt follows a change committed by someone else between our read and our
# write; the next read sees it, so a second attempt decides. A third is for safety only.
ATTEMPTS = 3


@dataclass(frozen=True)
class Renewal:
    """What a refresh that passed every check issues."""

    jkt: str | None
    scopes: list[str]
    rotates: bool


async def refresh(runtime: Runtime, conn: asyncpg.Connection, client: asyncpg.Record, form: dict[str, str],
                  proof: DpopProof | None) -> dict[str, Any]:
    if "refresh_token" not in form:
        raise InvalidRequest("refresh_token is required")
    digest = token_digest(form["refresh_token"])
    for _ in range(ATTEMPTS):
        state = await tokens.refresh_token_state(conn, digest)
        if state is None:
            raise InvalidGrant("the refresh token is unknown")
        now = runtime.clock.now()
        plan = renewal(state, client=client, proof=proof, scope=form.get("scope"), now=now, policy=runtime.settings.policy)
        if plan is None:
            await _revoke_for_reuse(runtime, conn, state["id"], client_id=client["client_id"], now=now)
            raise InvalidGrant("the refresh token was already used; the grant is revoked")
        issued = new_tokens(runtime, grant=state, scopes=plan.scopes, jkt=plan.jkt, with_refresh_token=plan.rotates, now=now)
        done = await tokens.refresh_and_issue(
            conn, digest, state["id"], bound_jkt=state["dpop_jkt"], jkt=plan.jkt, rotates=plan.rotates,
            jti=issued.access.jti, access_expires_at=issued.access.expires_at, new_refresh_digest=issued.refresh_digest, now=now,
        )
        if done:
            return issued.response(now)
    raise ServerError("the grant kept changing while it was being refreshed")


def renewal(state: asyncpg.Record, *, client: asyncpg.Record, proof: DpopProof | None, scope: str | None, now: datetime,
            policy: PolicySettings) -> Renewal | None:
    """What to issue for the token as read; None when it was already used (reuse). Raises a refusal."""
    if state["client_id"] != client["client_id"]:
        raise InvalidGrant("the refresh token was issued to another client")
    if state["token_revoked_at"] is not None or state["revoked_at"] is not None:
        raise InvalidGrant("the refresh token was revoked")
    if state["rotated_at"] is not None:
        return None
    problem = grant_problem(state, now=now, policy=policy)
    if problem:
        raise InvalidGrant(problem)
    return Renewal(bound_key(state["dpop_jkt"], proof), narrowed_scopes(list(state["scopes"]), scope),
                   rotates=client["profile"] != "fapi2")


async def _revoke_for_reuse(runtime: Runtime, conn: asyncpg.Connection, grant_id: UUID, *, client_id: str,
                            now: datetime) -> None:
    """RFC 9700 §4.14.2: one of the two parties holding this token is an attacker; neither keeps the grant."""
    async with conn.transaction():
        if await tokens.revoke_grant(conn, grant_id, now=now, reason="refresh_token_reused"):
            runtime.extras["revocations"].note(grant_id=grant_id)
            await record_revocation(conn, grant_id, event="oauth:refresh_token:reused", client_id=client_id, now=now)


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
