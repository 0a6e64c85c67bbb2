"""Requests carrying a NUL character are refused before any handler runs.

PostgreSQL text (and jsonb) cannot hold U+0000, so a NUL that reached a query
failed there as a 500 (a client_id or state of ``%00`` at /authorize, in Basic
credentials, in a pushed request). No field of Renkei can need one: a NUL in
the query, a form body or the Basic credentials is a 400 (a clear page for a
screen, ``invalid_request`` for an API). The customer screens' forms are left
to their own parsers, which refuse control characters field by field with a
message next to the field; path parameters are checked by their handlers.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.logs import get_logger
from server.web.bodies import read_body, replaying
from server.web.pages import Notice, notice_page
from server.web.paths import is_customer_flow, is_screen

log = get_logger(__name__)

# Forms past this size are refused by their handlers anyway (8 KiB screens, 64 KiB OAuth): not read here.
MAX_FORM_BYTES = 64 * 1024
FORM_TYPE = b"application/x-www-form-urlencoded"


def holds_nul(encoded: bytes) -> bool:
    """True if URL-encoded text (a query or a form body) holds a NUL, raw or as %00."""
    return b"\x00" in encoded or b"\x00" in unquote_to_bytes(encoded.replace(b"+", b" "))


def basic_credentials_hold_nul(authorization: bytes) -> bool:
    scheme, _, value = authorization.partition(b" ")
    if scheme.lower() != b"basic":
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False  # malformed credentials are the handler's to refuse
    return holds_nul(decoded)


def refusal(scope: Scope) -> Response:
    request = Request(scope)
    log.info("request.nul_refused", path=scope["path"])
    if is_screen(scope["path"]):
        return notice_page(request, Notice.BAD_FORM, status=400)
    return JSONResponse({"error": "invalid_request", "error_description": "NUL characters are not accepted"},
                        status_code=400, headers={"Cache-Control": "no-store"})


def _form_to_read(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """A form body this gate reads: any but the customer screens' (their parsers answer field by field)."""
    form = headers.get(b"content-type", b"").lower().startswith(FORM_TYPE)
    return form and not is_customer_flow(scope["path"])


class NulCharacterMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if holds_nul(scope["query_string"]) or basic_credentials_hold_nul(headers.get(b"authorization", b"")):
            await refusal(scope)(scope, receive, send)
            return
        if not _form_to_read(scope, headers):
            await self.app(scope, receive, send)
            return
        messages, body = await read_body(receive, limit=MAX_FORM_BYTES)
        if body is not None and holds_nul(body):
            await refusal(scope)(scope, receive, send)
            return
        await self.app(scope, replaying(messages, receive), send)
