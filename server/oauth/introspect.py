"""POST /introspect (RFC 7662) for the bank's resource servers.

An access token is checked locally (signature, typ, iss, aud, exp) and against
the in-memory revocation set, the resource server is one this process
remembers (server.oauth.client_cache) and so is the grant's account: no
database connection is taken at all. A refresh token is looked up in the database. Anything else, or anything not live, is simply
``{"active": false}`` (§2.2: no reason is given).

Besides the RFC 7662 members, an active answer names the ``account``
(``BBB-T-NNNNNNN``) the grant links, which only the bank's own resource servers
ever see.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from server.db import tokens
from server.hashing import token_digest
from server.metrics import INTROSPECTIONS
from server.oauth.access_tokens import subject_for_grant, verify_access_token
from server.oauth.client_auth import authenticated_client
from server.oauth.endpoint import no_store_json, oauth_endpoint, read_form
from server.oauth.errors import InvalidClient, InvalidRequest
from server.oauth.grants.lifetime import grant_problem
from server.runtime import Runtime
from server.web.database import connection

INACTIVE: dict[str, Any] = {"active": False}
ANSWERED_CLAIMS = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "cnf")


@oauth_endpoint
async def introspect(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    form = await read_form(request)
    refusal = InvalidClient("only the bank's resource servers may introspect tokens")
    await authenticated_client(request, form, None, kind="resource_server", refusal=refusal)
    if "token" not in form:
        raise InvalidRequest("token is required")
    INTROSPECTIONS.labels(answered="endpoint").inc()
    return no_store_json(await describe(runtime, form["token"]))


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2


async def describe(runtime: Runtime, value: str) -> dict[str, Any]:
    if looks_like_jwt(value):
        return await describe_access_token(runtime, value)
    async with connection(runtime) as conn:
        return await describe_refresh_token(runtime, conn, value)


async def describe_access_token(runtime: Runtime, value: str) -> dict[str, Any]:
    claims = verify_access_token(runtime.extras["signing_keys"], runtime.settings, value, now=runtime.clock.now())
    if claims is None:
        return INACTIVE
    answer = answer_from_memory(runtime, claims)
    if answer is None:  # the grant's account is not known to this process yet
        async with connection(runtime) as conn:
            account = await runtime.extras["grant_accounts"].account_of(conn, claims["grant"])
        answer = {**described_claims(claims), "account": account}
    return answer


def answer_from_memory(runtime: Runtime, claims: dict[str, Any]) -> dict[str, Any] | None:
    """The answer for a live token's claims, revocation checked; None if the grant's account is not known here."""
    if runtime.extras["revocations"].is_revoked(grant_id=claims["grant"], jti=claims["jti"]):
        return INACTIVE
    account = runtime.extras["grant_accounts"].remembered(claims["grant"])
    if account is None:
        return None
    return {**described_claims(claims), "account": account}


def described_claims(claims: dict[str, Any]) -> dict[str, Any]:
    answer = {"active": True, "token_type": "DPoP" if "cnf" in claims else "Bearer"}
    answer.update({k: claims[k] for k in ANSWERED_CLAIMS if k in claims})
    return answer


async def describe_refresh_token(runtime: Runtime, conn: asyncpg.Connection, value: str) -> dict[str, Any]:
    now = runtime.clock.now()
    row = await tokens.refresh_token_with_grant(conn, token_digest(value))
    if row is None or row["rotated_at"] or row["token_revoked_at"] or grant_problem(row, now=now, policy=runtime.settings.policy):
        return INACTIVE
    if await runtime.extras["clients"].client(conn, row["client_id"]) is None:  # its app was disabled (renkei clients disable)
        return INACTIVE
    idle_end = row["last_used_at"].timestamp() + runtime.settings.policy.grant_idle_days * 86400
    answer: dict[str, Any] = {
        "active": True,
        "token_type": "refresh_token",
        "scope": " ".join(row["scopes"]),
        "client_id": row["client_id"],
        "sub": subject_for_grant(row["id"]),
        "iss": runtime.settings.issuer,
        "iat": int(row["token_issued_at"].timestamp()),
        "exp": int(min(row["expires_at"].timestamp(), idle_end)),
        "account": await runtime.extras["grant_accounts"].account_of(conn, str(row["id"])),
    }
    if row["dpop_jkt"]:
        answer["cnf"] = {"jkt": row["dpop_jkt"]}
    return answer
