"""Turning exceptions into responses, in one place.

Screens (/authorize, /flow/..., the staff console) get pages; everything else
(/token, /par, /introspect, /revoke, /staff/api/..., the IVR) keeps JSON or
plain text. An unexpected exception is logged with the request id and becomes
S03 (on a customer screen also a line of the operation log, with the request
id: server.web.refusals); the browser never sees a stack trace. PostgreSQL
unreachable is not unexpected: S03 too, but 503 with Retry-After
(``temporarily_unavailable`` on the APIs), one warning line, and nothing of the
visitor's state touched.
"""

from __future__ import annotations

from asyncpg.exceptions import TooManyConnectionsError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from server.logs import get_logger
from server.metrics import DATABASE_UNREACHABLE
from server.oauth.errors import ServiceUnavailable
from server.reasons import Reason
from server.web.database import UNREACHABLE_ERROR_TYPES, Busy, is_unreachable
from server.web.forms import MalformedForm
from server.web.pages import Notice, notice_page, reason_page
from server.web.paths import is_screen
from server.web.refusals import record_refusal

log = get_logger(__name__)

RETRY_AFTER_SECONDS = 30
# A restart of PostgreSQL takes seconds; a failover rather longer. Clients come back soon after.
OUTAGE_RETRY_AFTER_SECONDS = 30


def unavailable_response(request: Request, reason: Reason, *, retry_after: int, hint: str, **page: str | None) -> Response:
    """503 with Retry-After: for a screen the reason page, for an API ``temporarily_unavailable`` JSON."""
    if is_screen(request.url.path):
        headers = {"Retry-After": str(retry_after), "Cache-Control": "no-store"}
        return reason_page(request, reason, status=503, headers=headers, **page)
    return ServiceUnavailable(hint, retry_after_seconds=retry_after).response()


def busy_response(request: Request) -> Response:
    """S02: the service is overloaded."""
    return unavailable_response(request, Reason.S02, retry_after=RETRY_AFTER_SECONDS, hint="busy, try again later")


def outage_response(request: Request) -> Response:
    """S03: PostgreSQL cannot be reached; the same request works again once it is back."""
    # The reference number lets the help desk find the warning line, as for any S03.
    return unavailable_response(request, Reason.S03, retry_after=OUTAGE_RETRY_AFTER_SECONDS,
                                hint="the service is unavailable for a moment, try again later", request_id=_request_id(request))


async def busy(request: Request, exc: Exception) -> Response:
    log.warning("busy.no_database_connection", path=request.url.path)
    return busy_response(request)


async def database_unreachable(request: Request, exc: Exception) -> Response:
    """Registered for every type an outage can surface as; anything else of those types is unexpected."""
    if not is_unreachable(exc):
        raise exc
    log_outage(request.url.path, exc)
    return outage_response(request)


def log_outage(path: str, exc: BaseException) -> None:
    """One line per refused request: the kind of error only (its text may quote a query)."""
    DATABASE_UNREACHABLE.inc()
    log.warning("database.unreachable", path=path, error=type(exc).__name__)


async def malformed_form(request: Request, exc: Exception) -> Response:
    log.info("form.malformed", path=request.url.path, problem=str(exc))
    return notice_page(request, Notice.BAD_FORM, status=400)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not is_screen(request.url.path) or exc.status_code not in (404, 405):
        headers = dict(exc.headers or {})
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=headers)
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=headers)
    return notice_page(request, Notice.NOT_FOUND, status=exc.status_code)


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def unexpected_error(request: Request, exc: Exception) -> Response:
    request_id = _request_id(request)
    log.error("unexpected_error", path=request.url.path, request_id=request_id, exc_info=exc)
    if is_screen(request.url.path):
        await record_refusal(request, Reason.S03, request_id=request_id)
        try:
            # Sent from outside the request-id middleware: name the request here.
            return reason_page(request, Reason.S03, request_id=request_id, headers={"X-Request-Id": request_id or ""})
        except Exception:  # the page itself failed: still no stack trace
            log.exception("error_page_failed", request_id=request_id)
            return PlainTextResponse(f"S03 {Reason.S03.message('ja')}", status_code=500, headers={"Cache-Control": "no-store"})
    return JSONResponse({"error": "server_error"}, status_code=500, headers={"Cache-Control": "no-store"})


exception_handlers = {
    Busy: busy,
    TooManyConnectionsError: busy,  # PostgreSQL's max_connections, met outside server.web.database.connection
    **{kind: database_unreachable for kind in UNREACHABLE_ERROR_TYPES},
    MalformedForm: malformed_form,
    HTTPException: http_error,
    Exception: unexpected_error,
}
