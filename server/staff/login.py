"""Sign-in (GET/POST /staff/login) and sign-out (POST /staff/logout).

Every refusal reads the same, whether the id is unknown, disabled, locked or
the password wrong, and costs the same argon2 check, so neither the page nor
its timing tells anyone which staff ids exist.
"""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.db import staff_console
from server.hashing import new_token
from server.logs import get_logger
from server.runtime import Runtime
from server.staff import audit, render, sessions
from server.staff.permissions import Role, StaffMember
from server.web.forms import MalformedForm, read_form

log = get_logger(__name__)

_STAFF_ID = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
_MAX_PASSWORD = 1024  # argon2 hashes anything; a megabyte "password" is an attack
HOME = "/staff/accounts"


def _login_page(request: Request, *, status: int = 200, error: str | None = None, staff_id: str = "") -> Response:
    pre_value = sessions.pre_session(request)
    response = render.page(
        request, "login.html", staff=None, status=status, error=error, staff_id=staff_id[:64],
        login_csrf_token=sessions.login_csrf_token(request, pre_value),
    )
    sessions.keep_pre_session(response, request, pre_value)
    return response


async def show_login(request: Request) -> Response:
    if await sessions.current_staff(request):
        return RedirectResponse(HOME, status_code=303)
    return _login_page(request)


async def sign_in(request: Request) -> Response:
    _ = render.gettext_of(request)
    try:
        form = await read_form(request)
    except MalformedForm:
        form = {}
    if not sessions.login_csrf_ok(request, form.get("csrf_token")):
        return _login_page(request, status=403, error=_("The sign-in form had expired. Please sign in again."))
    staff_id, password = form.get("staff_id", "").strip(), form.get("password", "")
    staff = await _check_password(request, staff_id, password)
    if staff is None:
        refused = _("The staff ID or password is wrong, or signing in is locked for now. Please try again later.")
        return _login_page(request, status=401, error=refused, staff_id=staff_id)
    response = RedirectResponse(HOME, status_code=303)
    await sessions.begin(request, response, staff.staff_id)
    return response


async def _check_password(request: Request, staff_id: str, password: str) -> StaffMember | None:
    """The staff member if the password is right and signing in is allowed; every refusal costs one argon2 check."""
    runtime = sessions.runtime_of(request)
    attempt = await _reserve_attempt(runtime, staff_id, password)
    if attempt is None:
        await runtime.slow_hash.verify_password(password[:_MAX_PASSWORD], await _decoy_hash(runtime))
        await _record(request, "staff:login:failure", None, detail={"refused": "unknown, disabled or locked"})
        return None
    if not await runtime.slow_hash.verify_password(password, attempt["password_hash"]):
        locked = attempt["locked_until"] is not None
        await _record(request, "staff:login:failure", staff_id, detail={"failures": attempt["failed_logins"], "locked": locked})
        return None
    row = await staff_console.password_accepted(runtime.pool, staff_id)
    if row is None:  # disabled between the two statements
        return None
    await _record(request, "staff:login:success", staff_id)
    return StaffMember(row["staff_id"], row["branch_code"], Role(row["role"]))


async def _reserve_attempt(runtime: Runtime, staff_id: str, password: str):  # type: ignore[no-untyped-def]
    """The counted attempt (with the stored hash), or None when there is nothing to check against."""
    if not (_STAFF_ID.match(staff_id) and 0 < len(password) <= _MAX_PASSWORD):
        return None
    now = runtime.clock.now()
    policy = runtime.settings.staff
    return await staff_console.reserve_password_attempt(
        runtime.pool, staff_id, now, policy.password_failures_before_lock,
        lock_until=now + timedelta(minutes=policy.password_lock_minutes),
    )


async def _decoy_hash(runtime: Runtime) -> str:
    """A hash of a random password, made once per process, for refusals to verify against."""
    if "staff_decoy_hash" not in runtime.extras:
        runtime.extras["staff_decoy_hash"] = await runtime.slow_hash.hash_password(new_token())
    return runtime.extras["staff_decoy_hash"]


async def _record(request: Request, event: str, staff_id: str | None, detail: dict | None = None) -> None:
    runtime = sessions.runtime_of(request)
    outcome = "success" if event.endswith("success") else "failure"
    await audit.record(runtime.pool, request, event, staff_id=staff_id, outcome=outcome, detail=detail or {})
    log.info(event.replace(":", "."), staff_id=staff_id, **(detail or {}))


async def sign_out(request: Request) -> Response:
    try:
        form = await read_form(request)
    except MalformedForm:
        form = {}
    response = RedirectResponse("/staff/login", status_code=303)
    if sessions.csrf_ok(request, form.get("csrf_token")):
        await sessions.end(request, response)
    return response


routes = [
    Route("/staff/login", show_login, methods=["GET"]),
    Route("/staff/login", sign_in, methods=["POST"]),
    Route("/staff/logout", sign_out, methods=["POST"]),
]
