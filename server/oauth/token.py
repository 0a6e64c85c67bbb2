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
from server.oauth.client_auth import authenticated_form
from server.oauth.dpop import DpopProof, dpop_nonce, verify_dpop
from server.oauth.endpoint import no_store_json, oauth_endpoint
from server.oauth.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from server.oauth.grants import authorization_code, refresh_token
from server.runtime import Runtime

log = get_logger(__name__)

GrantType = Callable[[Runtime, asyncpg.Record, dict[str, str], DpopProof | None], Awaitable[dict[str, Any]]]
GRANT_TYPES: dict[str, GrantType] = {
    "authorization_code": authorization_code.exchange,
    "refresh_token": refresh_token.refresh,
}


@oauth_endpoint
async def token(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    refuse_during_maintenance(runtime, runtime.clock.now())
    refusal = UnauthorizedClient("resource servers cannot obtain tokens")
    form, client = await authenticated_form(request, kind="app", refusal=refusal)
    if "grant_type" not in form:
        raise InvalidRequest("grant_type is required")
    grant_type = GRANT_TYPES.get(form["grant_type"])
    if grant_type is None:
        raise UnsupportedGrantType("grant_type must be authorization_code or refresh_token")
    proof = await verify_dpop(request, runtime, required=client["require_dpop"])
    body = await grant_type(runtime, client, form, proof)
    log.info("token.issued", client_id=client["client_id"], grant_type=form["grant_type"], issued_as=body["token_type"])
    TOKENS_ISSUED.labels(grant_type=form["grant_type"]).inc()
    headers = {"DPoP-Nonce": dpop_nonce(runtime.settings.secrets.session_key, runtime.clock.now())} if proof else {}
    return no_store_json(body, headers=headers)
