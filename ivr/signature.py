"""Twilio's request signature: only requests Twilio signed with one of our auth tokens are heard.

The signature covers the URL Twilio requested, so it is checked against
``settings.public_url`` + path, never the Host header: behind a proxy the
request reaches us under another name than the one Twilio used.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from server.logs import get_logger
from server.metrics import WEBHOOK_SIGNATURE_FAILURES
from server.settings import Settings

log = get_logger(__name__)

# Twilio's webhooks are a few hundred bytes; anything far larger is not Twilio.
MAX_BODY_BYTES = 16 * 1024
MAX_FIELDS = 100


def signed_url(settings: Settings, path: str, query: str = "") -> str:
    """The URL Twilio signs: the public base URL, the path, and the query if any."""
    return settings.public_url + path + (f"?{query}" if query else "")


async def _small_body(request: Request) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


def _form_fields(body: bytes) -> ImmutableMultiDict[str, str] | None:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    return ImmutableMultiDict(pairs)


async def signed_form(request: Request, settings: Settings, path: str) -> ImmutableMultiDict[str, str] | None:
    """The posted form when Twilio signed it; None when the signature is missing or wrong."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return _refused(path, "missing", None)
    body = await _small_body(request)
    form = _form_fields(body) if body is not None else None
    if form is None:
        return None
    url = signed_url(settings, path, request.url.query)
    # During a rotation of the auth token Twilio signs with either one: the current first, then the previous.
    valid = any(RequestValidator(token).validate(url, form, signature) for token in settings.ivr.twilio_auth_tokens)
    return form if valid else _refused(path, "mismatch", url)


def _refused(path: str, problem: str, url: str | None) -> None:
    """A warning and a counter: at go-live a public_url that differs from Twilio's URL refuses every call."""
    WEBHOOK_SIGNATURE_FAILURES.labels(path=path).inc()
    log.warning("ivr.signature_refused", path=path, problem=problem, checked_url=url,
                hint="the signature covers public_url + path: check public_url and the number's webhook URL in Twilio")
    return None
