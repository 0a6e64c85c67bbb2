"""GET /authorize (RFC 6749 §4.1, RFC 7636, RFC 9126, RFC 9207): check the app's request, start a flow.

Authorization code with PKCE S256 only. A request whose client or redirect URI
cannot be trusted gets an error page, never a redirect (RFC 6749 §4.1.2.1);
every other error goes back to the app with ``error``, ``state`` and ``iss``.
Clients that require PAR may send only ``client_id`` and ``request_uri``. A pushed
request's ``request_uri`` opens one flow; the browser that opened it may open it again
(a reload, an in-app browser restoring its page: each time a new flow from screen ①)
until a flow it started is finished, and no other browser may (FAPI 2.0 §5.3.2.2).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg
import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.db import clients, flows, oplog, par_requests
from server.flow import stages
from server.logs import get_logger
from server.hashing import token_digest
from server.reasons import Reason
from server.web.cookies import new_flow_cookie, par_browser, set_flow_cookie, set_par_browser_cookie
from server.web.database import UNREACHABLE_ERROR_TYPES, Busy, connection, is_unreachable
from server.web.i18n import chosen_language, preferred_language
from server.web.pages import Notice, notice_page
from server.web.refusals import record_refusal

log = get_logger(__name__)

_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest, unpadded
_JWK_THUMBPRINT = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_STATE_LENGTH = 1024


class UntrustedRequest(Exception):
    """No client or redirect URI we can trust: shown as a page, never redirected."""


class AuthorizeError(Exception):
    """An error the app hears about at its redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class AuthorizationRequest:
    client: asyncpg.Record
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str
    dpop_jkt: str | None


def redirect_url(redirect_uri: str, params: Mapping[str, str], *, state: str | None, issuer: str) -> str:
    """The app's redirect URI with ``params``, ``state`` (if the app sent one) and ``iss``."""
    answer = dict(params) | ({"state": state} if state is not None else {}) | {"iss": issuer}
    parts = urlsplit(redirect_uri)
    query = "&".join(part for part in (parts.query, urlencode(answer)) if part)
    return urlunsplit(parts._replace(query=query))


def client_redirect(redirect_uri: str, params: Mapping[str, str], *, state: str | None, issuer: str, status: int) -> RedirectResponse:
    """The browser back to the app, with ``params``, ``state`` (if the app sent one) and ``iss``."""
    return RedirectResponse(redirect_url(redirect_uri, params, state=state, issuer=issuer), status_code=status)


async def authorize(request: Request) -> Response:
    runtime = request.app.state.runtime
    now = runtime.clock.now()
    reopens_at = getattr(request.state, "maintenance_reopens_at", None)
    if reopens_at is not None:
        return await closed_for_maintenance(request, now, reopens_at)
    browser_cookie, browser_digest = par_browser(request)
    async with connection(runtime) as conn:
        try:
            client, params = await _trusted_parameters(conn, request, now, browser_digest)
        except UntrustedRequest as error:
            log.info("authorize.refused", problem=str(error))
            return notice_page(request, Notice.BAD_AUTHORIZATION, status=400)
        status = 303 if client["profile"] == "fapi2" else 302
        try:
            checked = check_request(client, params)
        except AuthorizeError as error:
            log.info("authorize.error", client_id=client["client_id"], error=error.error, problem=error.description)
            return client_redirect(params["redirect_uri"], {"error": error.error, "error_description": error.description},
                                   state=_state_to_echo(params), issuer=runtime.settings.issuer, status=status)
        flow_id = uuid.uuid4()
        response = await _start_flow(conn, request, runtime, checked, _language(request, params), status, flow_id)
        if request.query_params.get("request_uri"):
            await par_requests.record_flow(conn, request_uri_digest=token_digest(request.query_params["request_uri"]),
                                           flow_id=flow_id)
            set_par_browser_cookie(response, runtime.settings, browser_cookie)
        return response


async def closed_for_maintenance(request: Request, now, reopens_at) -> Response:  # type: ignore[no-untyped-def]
    """S01, opening no flow; with アプリに戻る to ``temporarily_unavailable`` when the app's redirect URI is one we
    trust (RFC 6749 §4.1.2.1). An untrusted request, or a database out of reach, still gets the plain S01 page."""
    from server.web.middleware import maintenance_page  # the gate imports this package's neighbours

    runtime = request.app.state.runtime
    back_url, answered = None, True
    try:
        async with connection(runtime) as conn:
            _, params = await _trusted_parameters(conn, request, now, par_browser(request)[1])
        back_url = redirect_url(params["redirect_uri"], {"error": "temporarily_unavailable",
                                                         "error_description": "the bank's service is closed for maintenance"},
                                state=_state_to_echo(params), issuer=runtime.settings.issuer)
    except (UntrustedRequest, Busy, *UNREACHABLE_ERROR_TYPES) as error:
        if not isinstance(error, UntrustedRequest | Busy) and not is_unreachable(error):
            raise
        answered = isinstance(error, UntrustedRequest)
    if answered:  # counted for head office; not tried again against a database that just failed to answer
        await record_refusal(request, Reason.S01)
    return maintenance_page(request, now, reopens_at, back_url=back_url)


async def _trusted_parameters(conn: asyncpg.Connection, request: Request, now,  # type: ignore[no-untyped-def]
                              browser_digest: bytes) -> tuple[asyncpg.Record, dict[str, str]]:
    query = request.query_params
    for name in ("client_id", "redirect_uri", "request_uri"):
        if len(query.getlist(name)) > 1:
            raise UntrustedRequest(f"{name} given more than once")
    client_id = query.get("client_id")
    sandbox_apps = request.app.state.runtime.settings.sandbox_apps_allowed
    client = await clients.get_client(conn, client_id, sandbox_apps=sandbox_apps) if client_id and len(client_id) <= 200 else None
    if client is None or client["kind"] != "app":
        raise UntrustedRequest("unknown or disabled client_id")
    if query.get("request_uri"):
        params = await _pushed_parameters(conn, client["client_id"], query["request_uri"], browser_digest, now)
    elif client["require_par"]:
        raise UntrustedRequest("this client must push its request to /par and send only client_id and request_uri")
    else:
        params = {name: query[name] for name in query}
        params["_repeated"] = ",".join(sorted({name for name in query if len(query.getlist(name)) > 1}))
    if params.get("redirect_uri") not in client["redirect_uris"]:
        raise UntrustedRequest("redirect_uri is missing or not registered for this client")
    return client, params


async def _pushed_parameters(conn: asyncpg.Connection, client_id: str, request_uri: str, browser_digest: bytes,  # type: ignore[no-untyped-def]
                             now) -> dict[str, str]:
    # Imported here: /par checks its pushed parameters with this module's check_request.
    from server.oauth.par import take_pushed_request

    pushed = await take_pushed_request(conn, client_id, request_uri, browser_digest, now) if len(request_uri) <= 300 else None
    if pushed is None:
        raise UntrustedRequest("request_uri is unknown, expired, used by another browser or a finished flow, or not this client's")
    return {str(k): str(v) for k, v in pushed.items() if v is not None}


def check_request(client: asyncpg.Record, params: Mapping[str, str]) -> AuthorizationRequest:
    """Everything after the client and redirect URI are trusted; each problem in the app's words."""
    if params.get("_repeated"):
        raise AuthorizeError("invalid_request", f"parameters given more than once: {params['_repeated']}")
    if "request" in params:
        raise AuthorizeError("request_not_supported", "request objects are not supported; use /par")
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "only response_type=code is supported")
    if params.get("response_mode") not in (None, "query"):
        raise AuthorizeError("invalid_request", "only response_mode=query is supported")
    if params.get("code_challenge_method") != "S256":
        raise AuthorizeError("invalid_request", "PKCE is required with code_challenge_method=S256")
    if not _S256_CHALLENGE.match(params.get("code_challenge", "")):
        raise AuthorizeError("invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier")
    if params.get("prompt") == "none":
        raise AuthorizeError("login_required", "the customer must authenticate on the bank's screens")
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE_LENGTH:
        raise AuthorizeError("invalid_request", f"state is longer than {MAX_STATE_LENGTH} characters")
    dpop_jkt = params.get("dpop_jkt")
    if dpop_jkt is not None and not _JWK_THUMBPRINT.match(dpop_jkt):
        raise AuthorizeError("invalid_request", "dpop_jkt must be a base64url SHA-256 JWK thumbprint")
    return AuthorizationRequest(client, params["redirect_uri"], _scopes(client, params.get("scope")), state,
                                params["code_challenge"], dpop_jkt)


def _scopes(client: asyncpg.Record, requested: str | None) -> list[str]:
    scopes = list(dict.fromkeys((requested or "").split())) or list(client["scopes"])
    unknown = [scope for scope in scopes if scope not in client["scopes"]]
    if unknown or not scopes:
        raise AuthorizeError("invalid_scope", "scope must be a subset of the scopes registered for this client")
    return scopes


def _state_to_echo(params: Mapping[str, str]) -> str | None:
    state = params.get("state")
    return state if state is not None and len(state) <= MAX_STATE_LENGTH else None


def _language(request: Request, params: Mapping[str, str]) -> str:
    """``lang`` or the first of ``ui_locales`` we speak, else the browser's preference."""
    for candidate in [params.get("lang"), request.query_params.get("lang"), *(params.get("ui_locales") or "").split()]:
        if lang := chosen_language((candidate or "").split("-")[0]):
            return lang
    return preferred_language(request.headers.get("accept-language"))


async def _start_flow(conn: asyncpg.Connection, request: Request, runtime, checked: AuthorizationRequest,  # type: ignore[no-untyped-def]
                      lang: str, status: int, flow_id: uuid.UUID) -> Response:
    now = runtime.clock.now()
    cookie, digest = new_flow_cookie()
    client_id = checked.client["client_id"]
    await flows.insert_flow(
        conn, flow_id=flow_id, cookie_digest=digest, client_id=client_id, redirect_uri=checked.redirect_uri,
        scopes=checked.scopes, state=checked.state, code_challenge=checked.code_challenge, dpop_jkt=checked.dpop_jkt,
        response_mode=None, lang=lang, step=stages.FIRST.name, now=now,
    )
    await oplog.append(conn, oplog.Entry(
        at=now, event="flow:authorize:start", outcome="info", client_id=client_id, flow_id=flow_id,
        ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent"),
        detail={"scopes": checked.scopes},
    ))
    structlog.contextvars.bind_contextvars(flow_id=str(flow_id))
    log.info("authorize.flow_started", client_id=client_id)
    response = RedirectResponse(stages.FIRST.path, status_code=status)
    set_flow_cookie(response, runtime.settings, cookie)
    return response
