"""POST /revoke (RFC 7009) for apps.

A refresh token revokes its whole grant (§2.1: the access tokens of the grant
too); an access token revokes itself. The answer is 200 whatever the token was,
unknown, expired, or another client's (§2.2: nothing is learnt by trying).
"""

from __future__ import annotations

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from server.db import tokens
from server.hashing import token_digest
from server.logs import get_logger
from server.oauth.access_tokens import verify_access_token
from server.oauth.client_auth import authenticated_client
from server.oauth.endpoint import oauth_endpoint, read_form
from server.oauth.errors import NO_STORE, InvalidRequest, UnauthorizedClient
from server.oauth.grants.security_events import record_revocation
from server.oauth.introspect import looks_like_jwt
from server.runtime import Runtime
from server.web.database import connection

log = get_logger(__name__)


@oauth_endpoint
async def revoke(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    form = await read_form(request)
    async with connection(runtime) as conn:
        refusal = UnauthorizedClient("only apps revoke their tokens")
        client = await authenticated_client(request, form, conn, kind="app", refusal=refusal)
        if "token" not in form:
            raise InvalidRequest("token is required")
        if looks_like_jwt(form["token"]):
            await revoke_access_token(runtime, conn, client["client_id"], form["token"])
        else:
            await revoke_refresh_token(runtime, conn, client["client_id"], form["token"])
    return Response(status_code=200, headers=NO_STORE)


async def revoke_access_token(runtime: Runtime, conn: asyncpg.Connection, client_id: str, value: str) -> None:
    claims = verify_access_token(runtime.extras["signing_keys"], runtime.settings, value, now=runtime.clock.now())
    if claims is None or claims["client_id"] != client_id:
        return
    if await tokens.revoke_access_token(conn, claims["jti"], now=runtime.clock.now()):
        runtime.extras["revocations"].note(jti=claims["jti"])
        log.info("access_token.revoked", client_id=client_id, jti=claims["jti"])


async def revoke_refresh_token(runtime: Runtime, conn: asyncpg.Connection, client_id: str, value: str) -> None:
    now = runtime.clock.now()
    grant_id = await tokens.grant_of_refresh_token(conn, token_digest(value))
    grant = await tokens.grant_by_id(conn, grant_id) if grant_id else None
    if grant is None or grant["client_id"] != client_id:
        return
    async with conn.transaction():
        if await tokens.revoke_grant(conn, grant_id, now=now, reason="revoked_by_client"):
            runtime.extras["revocations"].note(grant_id=grant_id)
            await record_revocation(conn, grant_id, event="oauth:grant:revoked", client_id=client_id, now=now, outcome="info")
