"""Turning exceptions into responses, in one place.

Screens (/authorize, /flow/..., the staff console) get pages; everything else
(/token, /par, /introspect, /revoke, /staff/api/..., the IVR) keeps JSON or
plain text. An unexpected exception is logged with the request id and becomes
S03; the browser never sees a stack trace.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from server.logs import get_logger
from server.reasons import Reason
from server.web.database import Busy
from server.web.forms import MalformedForm
from server.web.pages import Notice, notice_page, reason_page
from server.web.paths import is_screen

log = get_logger(__name__)

RETRY_AFTER_SECONDS = 30


def busy_response(request: Request) -> Response:
    """S02, with Retry-After: for a screen the page, for an API the JSON error."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_screen(request.url.path):
        return reason_page(request, Reason.S02, headers=headers)
    return JSONResponse(
        {"error": "temporarily_unavailable", "error_description": "busy, try again later"}, status_code=503, headers=headers
    )


async def busy(request: Request, exc: Exception) -> Response:
    log.warning("busy.no_database_connection", path=request.url.path)
    return busy_response(request)


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


async def unexpected_error(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id")
    log.error("unexpected_error", path=request.url.path, request_id=request_id, exc_info=exc)
    if is_screen(request.url.path):
        try:
            # Sent from outside the request-id middleware: name the request here.
            return reason_page(request, Reason.S03, request_id=request_id, headers={"X-Request-Id": request_id or ""})
        except Exception:  # the page itself failed: still no stack trace
            log.exception("error_page_failed", request_id=request_id)
            return PlainTextResponse(f"S03 {Reason.S03.message('ja')}", status_code=500, headers={"Cache-Control": "no-store"})
    return JSONResponse({"error": "server_error"}, status_code=500, headers={"Cache-Control": "no-store"})


exception_handlers = {
    Busy: busy,
    MalformedForm: malformed_form,
    HTTPException: http_error,
    Exception: unexpected_error,
}
