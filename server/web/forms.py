"""Reading a screen's form: small, URL-encoded, UTF-8, each field once.

Screens have at most a handful of short fields, so a body past a few kilobytes,
a repeated field or bytes that are not UTF-8 is not a customer typing: it is
refused with a clear page before any handler looks at it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_BODY_BYTES = 8 * 1024
MAX_FIELDS = 16


class MalformedForm(Exception):
    """The request body is not a form a screen of ours could have sent."""


async def read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise MalformedForm(f"content type {content_type or 'missing'}")
    body = await _read_body(request)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedForm(type(error).__name__) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise MalformedForm(f"field {name[:32]!r} given twice")
        form[name] = value
    return form


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise MalformedForm("body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise MalformedForm("body too large")
        chunks.append(chunk)
    return b"".join(chunks)
