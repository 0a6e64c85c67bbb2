"""The flow cookie: a random value whose SHA-256 digest finds the customer's flow.

HttpOnly; SameSite=Lax because the customer arrives from the app by a top-level
redirect (Strict would drop the cookie on that first request); path /flow so
that no other part of the site sees it; Secure when the public URL is https.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.hashing import new_token, token_digest
from server.settings import Settings

FLOW_COOKIE = "renkei_flow"
FLOW_COOKIE_PATH = "/flow"


def new_flow_cookie() -> tuple[str, bytes]:
    """(value for the browser, digest for the database)."""
    value = new_token(32)
    return value, token_digest(value)


def flow_cookie_digest(request: Request) -> bytes | None:
    value = request.cookies.get(FLOW_COOKIE)
    if not value or len(value) > 128:
        return None
    return token_digest(value)


def set_flow_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        FLOW_COOKIE,
        value,
        path=FLOW_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_flow_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH, httponly=True, samesite="lax", secure=settings.secure_cookies)


# The browser that opened a pushed request's request_uri (server.oauth.authorize): only /authorize sees it.
PAR_BROWSER_COOKIE = "renkei_par"
PAR_BROWSER_COOKIE_PATH = "/authorize"


def par_browser(request: Request) -> tuple[str, bytes]:
    """(cookie value, digest) of this browser's mark for reopening a request_uri; a new one if it has none."""
    value = request.cookies.get(PAR_BROWSER_COOKIE)
    if not value or len(value) > 128:
        return new_flow_cookie()
    return value, token_digest(value)


def set_par_browser_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(PAR_BROWSER_COOKIE, value, path=PAR_BROWSER_COOKIE_PATH, httponly=True, samesite="lax",
                        secure=settings.secure_cookies)
