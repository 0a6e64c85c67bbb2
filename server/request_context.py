"""A request id on every log line, and one access line per request."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import get_logger

log = get_logger("renkei.access")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


# 32 hex digits like a UUID's: 80 random bits drawn once per process, then a counter.
# As unique across processes as uuid4, without reading the OS's random source per request.
_PROCESS_PREFIX = secrets.token_hex(10)
_REQUEST_NUMBERS = itertools.count(1)


def _new_process_prefix() -> None:
    global _PROCESS_PREFIX
    _PROCESS_PREFIX = secrets.token_hex(10)


os.register_at_fork(after_in_child=_new_process_prefix)  # a forked worker must not repeat its parent's ids


def new_request_id() -> str:
    return f"{_PROCESS_PREFIX}{next(_REQUEST_NUMBERS) % (1 << 48):012x}"


def request_id_of(incoming: bytes) -> str:
    """The caller's X-Request-Id when it is a sensible one (so a trace spans systems), else a new id."""
    text = incoming.decode("latin-1")
    return text if _INCOMING_ID.match(text) else new_request_id()


class RequestContextMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so streaming responses are not buffered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(dict(scope["headers"]).get(b"x-request-id", b""))
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info("request", method=scope["method"], path=scope["path"], status=status,
                     ms=round((time.perf_counter() - started) * 1000, 1))
