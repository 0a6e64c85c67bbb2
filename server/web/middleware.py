"""Middleware that every response passes through (outermost first).

All pure ASGI (no BaseHTTPMiddleware), so the waiting screen's event stream is
never buffered. Settings are read from the running app's runtime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import get_logger
from server.reasons import Reason
from server.runtime import Runtime
from server.web.errors import busy_response
from server.web.nul_characters import NulCharacterMiddleware
from server.web.pages import reason_page
from server.web.paths import AUTHORIZE_PATH, always_open, is_customer_flow, is_event_stream, is_screen
from server.web.refusals import record_refusal
from server.web.security import screen_headers

log = get_logger(__name__)


def _runtime(scope: Scope) -> Runtime:
    return scope["app"].state.runtime


class SecurityHeadersMiddleware:
    """The screen headers on every response that does not set its own (CSP, framing, no-store...)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = screen_headers(_runtime(scope).settings)
        if not is_screen(scope["path"]):
            defaults.pop("Cache-Control")  # APIs and assets decide their own caching

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                for name, value in defaults.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AdmissionControlMiddleware:
    """S02 with Retry-After once more than settings.max_in_flight requests are in progress here.

    Counted per process: each process protects its own event loop; the database
    pool's acquire timeout protects PostgreSQL (see server.web.database). The wait
    screen's event streams idle for up to 120 s each, so they have a bound of their
    own (settings.max_event_streams) instead of crowding out every other customer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight = {"requests": 0, "streams": 0}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or always_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        runtime = _runtime(scope)
        settings = runtime.settings
        if runtime.lifecycle.draining and is_event_stream(scope["path"]):
            await _stream_elsewhere(scope, receive, send)
            return
        kind, bound = ("streams", settings.max_event_streams) if is_event_stream(scope["path"]) else ("requests", settings.max_in_flight)
        if self.in_flight[kind] >= bound:
            log.warning("busy.too_many_" + kind, path=scope["path"], in_flight=self.in_flight[kind])
            await busy_response(Request(scope))(scope, receive, send)
            return
        self.in_flight[kind] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[kind] -= 1


async def _stream_elsewhere(scope: Scope, receive: Receive, send: Send) -> None:
    """A draining process opens no new event stream: the page tries again, through the balancer, elsewhere."""
    log.info("stream.refused_draining", path=scope["path"])
    response = PlainTextResponse("this server is stopping; reconnect", status_code=503,
                                 headers={"Retry-After": "1", "Cache-Control": "no-store"})
    await response(scope, receive, send)


class MaintenanceGateMiddleware:
    """S01 for /authorize and every screen while a maintenance window is open.

    A flow in progress stops there too: each of its requests gets S01 until the
    window ends (its idle and phone-check deadlines keep running meanwhile).
    Each S01 page is a line of the operation log (server.web.refusals).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_customer_flow(scope["path"]):
            await self.app(scope, receive, send)
            return
        runtime = _runtime(scope)
        service = runtime.extras.get("maintenance")
        now = runtime.clock.now()
        window = service.window_at(now) if service is not None else None
        if window is None:
            await self.app(scope, receive, send)
            return
        log.info("maintenance.refused", path=scope["path"], window=window.label)
        if scope["path"] == AUTHORIZE_PATH:
            # /authorize shows S01 itself, once it knows whether the app's redirect URI can be trusted
            # with アプリに戻る (server/oauth/authorize.py closed_for_maintenance).
            scope.setdefault("state", {})["maintenance_reopens_at"] = window.ends_at
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        await record_refusal(request, Reason.S01)
        await maintenance_page(request, now, window.ends_at)(scope, receive, send)


def maintenance_page(request: Request, now: datetime, reopens_at: datetime, **context: Any):  # type: ignore[no-untyped-def]
    retry_after = max(1, int((reopens_at - now).total_seconds()))
    return reason_page(request, Reason.S01, headers={"Retry-After": str(retry_after)}, reopens_at=reopens_at, **context)


middleware: list[Middleware] = [
    Middleware(SecurityHeadersMiddleware),
    Middleware(AdmissionControlMiddleware),
    Middleware(MaintenanceGateMiddleware),
    Middleware(NulCharacterMiddleware),  # reads form bodies: inside admission control, which must count it
]
