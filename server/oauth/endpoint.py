"""What every OAuth endpoint shares: reading the form, answering JSON, and turning
errors into RFC 6749 §5.2 responses (never a stack trace, never a 500 for bad input)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.logs import get_logger
from server.oauth.errors import NO_STORE, InvalidRequest, OAuthError, ServerError
from server.oauth.forms import FORM_TYPE, is_form, parse_form
from server.web.database import Busy, is_unreachable

log = get_logger("renkei.oauth")

Handler = Callable[[Request], Awaitable[Response]]


def oauth_endpoint(handler: Handler) -> Handler:
    """Answer OAuthError with its JSON, and anything unexpected with a bare server_error.

    Overload and an unreachable database are the app's answers (server.web.errors:
    503 ``temporarily_unavailable`` with Retry-After), the same at every endpoint.
    """

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except OAuthError as error:
            log.info("oauth.refused", path=request.url.path, error=error.error, hint=error.hint, detail=error.detail)
            return error.response()
        except Busy:
            raise
        except Exception as exc:  # the client learns nothing; the log learns everything
            if is_unreachable(exc):
                raise
            log.error("oauth.failed", path=request.url.path, exc_info=exc)
            return ServerError("the server could not complete the request").response()

    return endpoint


async def read_form(request: Request) -> dict[str, str]:
    """The form parameters, each at most once (RFC 6749 §3.1); empty ones count as absent."""
    if not is_form(request.headers.get("content-type", "")):
        raise InvalidRequest(f"the body must be {FORM_TYPE}")
    return parse_form(await request.body())


def no_store_json(body: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={**NO_STORE, **(headers or {})})
