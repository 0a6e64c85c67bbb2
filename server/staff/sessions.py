"""Staff sessions: a random cookie whose SHA-256 alone is kept in PostgreSQL, and CSRF tokens.

Before sign-in the login form is protected by a double-submit token bound to a
pre-session cookie; after sign-in every form and state-changing API call
carries an HMAC of the session. Sessions end after ``staff.session_idle_seconds``
without a request, on the injected clock, and a fresh one is made at every
sign-in so a planted cookie is worth nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from server.db import staff_sessions
from server.hashing import new_token, token_digest
from server.runtime import Runtime
from server.staff.permissions import Role, StaffMember
from server.web.database import connection

SESSION_COOKIE = "renkei_staff"
PRE_SESSION_COOKIE = "renkei_staff_pre"
COOKIE_PATH = "/staff"


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def _mac(runtime: Runtime, purpose: str, value: str, key: str | None = None) -> str:
    """Under ``key``, by default the first session key (the one that signs)."""
    key = key or runtime.settings.secrets.session_key
    return hmac.new(key.encode(), f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


def _mac_ok(runtime: Runtime, purpose: str, value: str, given: str | None) -> bool:
    """Made under any session key: a form served before a key rotation still posts."""
    return any(_same(_mac(runtime, purpose, value, key), given) for key in runtime.settings.secrets.session_keys)


def _set_cookie(response: Response, runtime: Runtime, name: str, value: str) -> None:
    response.set_cookie(
        name, value, path=COOKIE_PATH, httponly=True, samesite="strict", secure=runtime.settings.secure_cookies
    )


def _same(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


# --- before sign-in ---------------------------------------------------------------

def pre_session(request: Request) -> str:
    """The visitor's pre-session value (a new one if the browser has none yet)."""
    return request.cookies.get(PRE_SESSION_COOKIE) or new_token()


def keep_pre_session(response: Response, request: Request, value: str) -> None:
    if request.cookies.get(PRE_SESSION_COOKIE) != value:
        _set_cookie(response, runtime_of(request), PRE_SESSION_COOKIE, value)


def login_csrf_token(request: Request, pre_value: str) -> str:
    return _mac(runtime_of(request), "staff-login", pre_value)


def login_csrf_ok(request: Request, given: str | None) -> bool:
    pre_value = request.cookies.get(PRE_SESSION_COOKIE)
    return bool(pre_value) and _mac_ok(runtime_of(request), "staff-login", pre_value, given)


# --- signed in ---------------------------------------------------------------------

async def begin(request: Request, response: Response, staff_id: str) -> None:
    """A fresh session for ``staff_id``; any session the browser carried is ended first."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    value = new_token()
    async with connection(runtime) as conn, conn.transaction():
        if old := request.cookies.get(SESSION_COOKIE):
            await staff_sessions.end_session(conn, token_digest(old), now)
        await staff_sessions.start_session(conn, token_digest(value), staff_id, now)
    _set_cookie(response, runtime, SESSION_COOKIE, value)
    response.delete_cookie(PRE_SESSION_COOKIE, path=COOKIE_PATH)


async def end(request: Request, response: Response) -> None:
    runtime = runtime_of(request)
    if value := request.cookies.get(SESSION_COOKIE):
        await staff_sessions.end_session(runtime.pool, token_digest(value), runtime.clock.now())
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


async def current_staff(request: Request) -> StaffMember | None:
    """The staff member whose live session the request carries, or None (also once it has idled out)."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value or len(value) > 200:
        return None
    runtime = runtime_of(request)
    now = runtime.clock.now()
    seen_since = now - timedelta(seconds=runtime.settings.staff.session_idle_seconds)
    row = await staff_sessions.touch_session(runtime.pool, token_digest(value), now, seen_since)
    if row is None:
        return None
    return StaffMember(staff_id=row["staff_id"], branch_code=row["branch_code"], role=Role(row["role"]))


def csrf_token(request: Request) -> str:
    """The token every form and state-changing API call of this session must carry."""
    return _mac(runtime_of(request), "staff-session", request.cookies.get(SESSION_COOKIE, ""))


def csrf_ok(request: Request, given: str | None) -> bool:
    session = request.cookies.get(SESSION_COOKIE)
    return bool(session) and _mac_ok(runtime_of(request), "staff-session", session or "", given)
