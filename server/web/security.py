"""The security headers of every screen: a strict CSP, no framing, no referrer, no caching."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from server.settings import Settings

# A CSP source expression may not contain separators; anything odd is left out.
_SAFE_SOURCE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//[A-Za-z0-9.\-\[\]:]+)?$")


def form_action_source(redirect_uri: str) -> str | None:
    """What CSP ``form-action`` must allow for a form whose answer redirects to ``redirect_uri``.

    Browsers apply ``form-action`` to the redirect after a POST too, so the
    consent screen allows the app's origin (or its custom scheme) and nothing else.
    """
    parts = urlsplit(redirect_uri)
    if parts.scheme in ("http", "https"):
        source = f"{parts.scheme}://{parts.netloc}"
    else:
        source = f"{parts.scheme}:"
    return source if _SAFE_SOURCE.match(source) else None


def content_security_policy(form_action: Iterable[str] = ()) -> str:
    sources = " ".join(["'self'", *form_action])
    return (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        f"connect-src 'self'; form-action {sources}; frame-ancestors 'none'; base-uri 'none'"
    )


def screen_headers(settings: Settings, form_action: Iterable[str] = ()) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(form_action),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if settings.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers
