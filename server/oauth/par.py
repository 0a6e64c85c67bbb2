"""POST /par (RFC 9126): the app pushes its authorization request, authenticated, and
gets a one-time ``request_uri`` to send the customer's browser to /authorize with.

The pushed parameters are checked exactly as /authorize checks them (the same
function), so an app learns about a mistake here, before any customer sees a
screen. A DPoP proof sent here binds the code to its key (RFC 9449 §10.1).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from server.db import par_requests
from server.hashing import new_token, token_digest
from server.oauth.authorize import AuthorizeError, check_request
from server.oauth.availability import refuse_during_maintenance
from server.oauth.client_auth import authenticated_client
from server.oauth.dpop import DpopProof, verify_dpop
from server.oauth.endpoint import no_store_json, oauth_endpoint, read_form
from server.oauth.errors import InvalidDpopProof, InvalidRequest, OAuthError, UnauthorizedClient
from server.runtime import Runtime
from server.web.database import connection

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# Client authentication travels with the push but is not part of the authorization request.
_AUTHENTICATION = ("client_assertion", "client_assertion_type", "client_secret")


@oauth_endpoint
async def pushed_authorization_request(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    refuse_during_maintenance(runtime, runtime.clock.now())
    form = await read_form(request)
    refusal = UnauthorizedClient("resource servers cannot start authorizations")
    request_uri = REQUEST_URI_PREFIX + new_token(32)
    now, lifetime = runtime.clock.now(), runtime.settings.policy.par_request_seconds
    async with connection(runtime) as conn:
        client = await authenticated_client(request, form, conn, kind="app", refusal=refusal)
        proof = await verify_dpop(request, runtime, conn, required=False)
        params = authorization_params(form, client, proof)
        await par_requests.insert_pushed_request(
            conn, request_uri_digest=token_digest(request_uri), client_id=client["client_id"], params=params,
            now=now, expires_at=now + timedelta(seconds=lifetime),
        )
    return no_store_json({"request_uri": request_uri, "expires_in": lifetime}, status_code=201)


def authorization_params(form: dict[str, str], client: asyncpg.Record, proof: DpopProof | None) -> dict[str, Any]:
    """The authorization request to keep, checked as /authorize would check it."""
    params = {name: value for name, value in form.items() if name not in _AUTHENTICATION}
    params["client_id"] = client["client_id"]
    if "request_uri" in params:
        raise InvalidRequest("request_uri cannot be pushed (RFC 9126 §2.1)")
    if params.get("redirect_uri") not in client["redirect_uris"]:
        raise InvalidRequest("redirect_uri is missing or not registered for this client")
    if proof is not None:
        if params.setdefault("dpop_jkt", proof.jkt) != proof.jkt:
            raise InvalidDpopProof("dpop_jkt differs from the key of the DPoP proof")
    try:
        check_request(client, params)
    except AuthorizeError as error:
        raise OAuthError.for_code(error.error, error.description) from None
    return params


async def take_pushed_request(conn: asyncpg.Connection, client_id: str, request_uri: str, browser_digest: bytes,
                              now: datetime) -> dict[str, Any] | None:
    """The pushed parameters for the client that pushed them, before they expire: once, or again for
    the same browser until the flow it started is finished (FAPI 2.0 §5.3.2.2); else None."""
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        return None
    return await par_requests.take_pushed_params(conn, request_uri_digest=token_digest(request_uri), client_id=client_id,
                                                 browser_digest=browser_digest, now=now)
