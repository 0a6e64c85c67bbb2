"""Turning exceptions into responses, in one place."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.logs import get_logger

log = get_logger(__name__)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected_error", path=request.url.path, exc_info=exc)
    return JSONResponse({"error": "server_error"}, status_code=500, headers={"Cache-Control": "no-store"})


exception_handlers = {Exception: unexpected_error}
