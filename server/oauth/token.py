"""POST /token (RFC 6749 §3.2): client authentication, the DPoP proof, then the grant type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from server.logs import get_logger
from server.metrics import TOKENS_ISSUED
from server.oauth.availability import refuse_during_maintenance
from server.oauth.client_auth import authenticated_client
from server.oauth.dpop import DpopProof, dpop_nonce, verify_dpop
from server.oauth.endpoint import no_store_json, oauth_endpoint, read_form
from server.oauth.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from server.oauth.grants import authorization_code, refresh_token
from server.runtime import Runtime
from server.web.database import connection

log = get_logger(__name__)

GrantType = Callable[[Runtime, asyncpg.Connection, asyncpg.Record, dict[str, str], DpopProof | None], Awaitable[dict[str, Any]]]
GRANT_TYPES: dict[str, GrantType] = {
    "authorization_code": authorization_code.exchange,
    "refresh_token": refresh_token.refresh,
}


@oauth_endpoint
async def token(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    refuse_during_maintenance(runtime, runtime.clock.now())
    form = await read_form(request)  # before taking a connection: a slow client holds none
    async with connection(runtime) as conn:
        return await _token(request, runtime, conn, form)


async def _token(request: Request, runtime: Runtime, conn: asyncpg.Connection, form: dict[str, str]) -> Response:
    refusal = UnauthorizedClient("resource servers cannot obtain tokens")
    client = await authenticated_client(request, form, conn, kind="app", refusal=refusal)
    if "grant_type" not in form:
        raise InvalidRequest("grant_type is required")
    grant_type = GRANT_TYPES.get(form["grant_type"])
    if grant_type is None:
        raise UnsupportedGrantType("grant_type must be authorization_code or refresh_token")
    proof = await verify_dpop(request, runtime, conn, required=client["require_dpop"])
    body = await grant_type(runtime, conn, client, form, proof)
    log.info("token.issued", client_id=client["client_id"], grant_type=form["grant_type"], issued_as=body["token_type"])
    TOKENS_ISSUED.labels(grant_type=form["grant_type"]).inc()
    headers = {"DPoP-Nonce": dpop_nonce(runtime.settings.secrets.session_key, runtime.clock.now())} if proof else {}
    return no_store_json(body, headers=headers)
