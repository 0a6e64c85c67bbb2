"""grant_type=authorization_code (RFC 6749 §4.1.3), with PKCE (RFC 7636 §4.6) and
DPoP-bound codes (RFC 9449 §10).

The code is consumed by one atomic UPDATE, so two exchanges of one code never
both succeed. A code presented a second time means it leaked: the grant and every
token issued from it are revoked (RFC 6749 §4.1.2, §10.5), in the same
transaction that refuses the request.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Any

import asyncpg
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from server.db import tokens
from server.hashing import token_digest
from server.logs import get_logger
from server.oauth.dpop import DpopProof
from server.oauth.errors import InvalidGrant, InvalidRequest, OAuthError
from server.oauth.grants.lifetime import grant_problem
from server.oauth.grants.security_events import record_revocation
from server.oauth.issuance import new_tokens, record_new_tokens
from server.runtime import Runtime

log = get_logger(__name__)

# RFC 7636 §4.1: 43 to 128 unreserved characters.
CODE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


async def exchange(runtime: Runtime, conn: asyncpg.Connection, client: asyncpg.Record, form: dict[str, str],
                   proof: DpopProof | None) -> dict[str, Any]:
    for name in ("code", "redirect_uri", "code_verifier"):
        if name not in form:
            raise InvalidRequest(f"{name} is required")
    if not CODE_VERIFIER.match(form["code_verifier"]):
        raise InvalidRequest("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    async with conn.transaction():
        outcome = await _exchange(conn, runtime, client, form, proof)
    if isinstance(outcome, OAuthError):  # refused, but what the refusal changed is committed
        raise outcome
    return outcome


async def _exchange(conn: asyncpg.Connection, runtime: Runtime, client: asyncpg.Record, form: dict[str, str],
                    proof: DpopProof | None) -> dict[str, Any] | OAuthError:
    now = runtime.clock.now()
    digest = token_digest(form["code"])
    code = await tokens.consume_code(conn, digest, now)
    if code is None:
        return await _used_or_unknown(conn, runtime, digest, client)
    check_code(code, client_id=client["client_id"], redirect_uri=form["redirect_uri"], verifier=form["code_verifier"],
               proof=proof, now=now)
    grant = await tokens.grant_for_update(conn, code["grant_id"])
    problem = grant_problem(grant, now=now, policy=runtime.settings.policy)
    if problem:
        raise InvalidGrant(problem)
    jkt = proof.jkt if proof else None
    if grant["dpop_jkt"] and grant["dpop_jkt"] != jkt:
        raise InvalidGrant("the grant is bound to another DPoP key")
    await tokens.use_grant(conn, grant["id"], now=now, dpop_jkt=jkt)
    issued = new_tokens(runtime, grant=grant, scopes=list(grant["scopes"]), jkt=jkt, with_refresh_token=True, now=now)
    await record_new_tokens(conn, grant["id"], issued, now)
    return issued.response(now)


async def _used_or_unknown(conn: asyncpg.Connection, runtime: Runtime, digest: bytes, client: asyncpg.Record) -> OAuthError:
    grant_id, now = await tokens.grant_of_used_code(conn, digest), runtime.clock.now()
    if grant_id is None:
        return InvalidGrant("the authorization code is unknown")
    if await tokens.revoke_grant(conn, grant_id, now=now, reason="code_replayed"):
        runtime.extras["revocations"].note(grant_id=grant_id)
        await record_revocation(conn, grant_id, event="oauth:code:replayed", client_id=client["client_id"], now=now)
    return InvalidGrant("the authorization code was already used; every token issued from it is revoked")


def check_code(code: asyncpg.Record, *, client_id: str, redirect_uri: str, verifier: str, proof: DpopProof | None,
               now: datetime) -> None:
    """The checks of RFC 6749 §4.1.3, RFC 7636 §4.6 and RFC 9449 §10, in that order."""
    if code["client_id"] != client_id:
        raise InvalidGrant("the authorization code was issued to another client")
    if now >= code["expires_at"]:
        raise InvalidGrant("the authorization code has expired")
    if code["redirect_uri"] != redirect_uri:
        raise InvalidGrant("redirect_uri differs from the authorization request's")
    if not hmac.compare_digest(create_s256_code_challenge(verifier), code["code_challenge"]):
        raise InvalidGrant("code_verifier does not match the code_challenge (S256)")
    if code["dpop_jkt"] and proof is None:
        raise InvalidGrant("the authorization code is bound to a DPoP key; send a DPoP proof made with it")
    if code["dpop_jkt"] and proof is not None and proof.jkt != code["dpop_jkt"]:
        raise InvalidGrant("the authorization code is bound to another DPoP key")
