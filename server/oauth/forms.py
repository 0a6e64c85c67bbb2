"""The form body of an OAuth request (application/x-www-form-urlencoded), as a dict. Pure."""

from __future__ import annotations

from urllib.parse import parse_qsl

from server.oauth.errors import InvalidRequest

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 64


def is_form(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == FORM_TYPE


def parse_form(body: bytes) -> dict[str, str]:
    """The parameters, each at most once (RFC 6749 §3.1); empty ones count as absent."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest("the request body is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("the form is not valid UTF-8 form encoding") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest(f"{name} is repeated")
        form[name] = value
    return {name: value for name, value in form.items() if value != ""}
