"""Staff members (head office): create a clerk, disable one, set a new password.

The same rules as ``renkei staff add`` (id shape, branch code, password length
per environment). Disabling or a new password ends the member's open sessions
at once; a new password also lifts a sign-in lock. Every change is in the
operation log; no password is ever written anywhere but as its argon2 hash.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.cli.staff import BRANCH_CODE, MIN_PASSWORD, STAFF_ID
from server.db import staff_console, staff_sessions
from server.db.staff import insert_staff
from server.logs import get_logger
from server.staff import audit, render, sessions
from server.staff.guard import form_of, page
from server.staff.permissions import Permission, Role, StaffMember
from server.web.database import connection
from server.web.i18n import N_

log = get_logger(__name__)

MAX_PASSWORD = 1024
DONE_MESSAGES = {
    "added": N_("The staff member was added. They can sign in now."),
    "disabled": N_("The staff member was disabled and signed out everywhere."),
    "password": N_("The new password is set. The staff member was signed out everywhere and can sign in with it now."),
    "unchanged": N_("Nothing changed: the staff member is unknown or already disabled."),
}


def _password_problem(password: str, env: str, _: Any) -> str | None:
    if not password.strip() or len(password) < MIN_PASSWORD[env]:
        return _("Use at least %(n)s characters.", n=MIN_PASSWORD[env])
    if len(password) > MAX_PASSWORD:
        return _("Use at most %(n)s characters.", n=MAX_PASSWORD)
    return None


def _member_problems(form: dict[str, str], env: str, _: Any) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not STAFF_ID.fullmatch(form.get("staff_id", "")):
        problems["staff_id"] = _("3 to 64 letters, digits, dots, hyphens or underscores.")
    if not BRANCH_CODE.fullmatch(form.get("branch_code", "")):
        problems["branch_code"] = _("3 digits.")
    if form.get("role") not in {r.value for r in Role}:
        problems["role"] = _("Choose branch or head office.")
    if problem := _password_problem(form.get("password", ""), env, _):
        problems["password"] = problem
    return problems


async def _record(conn: asyncpg.Connection, request: Request, staff: StaffMember, event: str, target: str, **detail: Any) -> None:
    await audit.record(conn, request, event, staff_id=staff.staff_id, detail={"member": target, **detail})
    log.info(event.replace(":", "."), staff_id=staff.staff_id, member=target)


async def _page(request: Request, staff: StaffMember, *, status: int = 200, **context: Any) -> Response:
    _ = render.gettext_of(request)
    render.after_action(request, DONE_MESSAGES, context, entered={"staff_id": "", "branch_code": "", "role": "branch"})
    async with connection(sessions.runtime_of(request)) as conn:
        members = await staff_console.list_staff(conn)
    return render.page(request, "staff_members.html", staff=staff, status=status, title=_("Staff members"),
                       members=members, now=sessions.runtime_of(request).clock.now(),
                       min_password=MIN_PASSWORD[sessions.runtime_of(request).settings.env], **context)


@page(Permission.STAFF_READ)
async def show(request: Request, staff: StaffMember) -> Response:
    return await _page(request, staff)


@page(Permission.STAFF_WRITE)
async def add(request: Request, staff: StaffMember) -> Response:
    runtime = sessions.runtime_of(request)
    _ = render.gettext_of(request)
    form = form_of(request)
    entered = {name: form.get(name, "")[:64] for name in ("staff_id", "branch_code", "role")}
    problems = _member_problems(form, runtime.settings.env, _)
    if not problems:
        password_hash = await runtime.slow_hash.hash_password(form["password"])
        async with connection(runtime) as conn, conn.transaction():
            created = await insert_staff(conn, staff_id=form["staff_id"], branch_code=form["branch_code"], role=form["role"],
                                         password_hash=password_hash, created_at=runtime.clock.now())
            if created:
                await _record(conn, request, staff, "staff:member:add", form["staff_id"],
                              branch_code=form["branch_code"], role=form["role"])
                return RedirectResponse("/staff/members?done=added", status_code=303)
        problems["staff_id"] = _("This staff ID is taken.")
    return await _page(request, staff, status=422, error=next(iter(problems.values())), field_errors=problems,
                       entered=entered)


def _no_such_member(member: str) -> bool:
    """An id no clerk can have (one holding a NUL would even fail in PostgreSQL): there is nothing to change."""
    return not STAFF_ID.fullmatch(member)


UNCHANGED = "/staff/members?done=unchanged"


@page(Permission.STAFF_WRITE)
async def disable(request: Request, staff: StaffMember) -> Response:
    runtime = sessions.runtime_of(request)
    member = request.path_params["member"]
    if _no_such_member(member):
        return RedirectResponse(UNCHANGED, status_code=303)
    if member == staff.staff_id:  # the last head office clerk must not lock everyone out
        _ = render.gettext_of(request)
        return await _page(request, staff, status=422, error=_("You cannot disable yourself."))
    async with connection(runtime) as conn, conn.transaction():
        done = await staff_console.disable_staff(conn, member, runtime.clock.now())
        if done:
            await staff_sessions.end_sessions_of(conn, member, runtime.clock.now())
            await _record(conn, request, staff, "staff:member:disable", member)
    return RedirectResponse(f"/staff/members?done={'disabled' if done else 'unchanged'}", status_code=303)


@page(Permission.STAFF_WRITE)
async def new_password(request: Request, staff: StaffMember) -> Response:
    runtime = sessions.runtime_of(request)
    _ = render.gettext_of(request)
    member, password = request.path_params["member"], form_of(request).get("password", "")
    if _no_such_member(member):
        return RedirectResponse(UNCHANGED, status_code=303)
    if problem := _password_problem(password, runtime.settings.env, _):
        return await _page(request, staff, status=422, error=problem, field_errors={f"password-{member}": problem})
    password_hash = await runtime.slow_hash.hash_password(password)
    async with connection(runtime) as conn, conn.transaction():
        done = await staff_console.set_password_hash(conn, member, password_hash)
        if done:
            await staff_sessions.end_sessions_of(conn, member, runtime.clock.now())
            await _record(conn, request, staff, "staff:member:password", member)
    return RedirectResponse(f"/staff/members?done={'password' if done else 'unchanged'}", status_code=303)


routes = [
    Route("/staff/members", show, methods=["GET"]),
    Route("/staff/members", add, methods=["POST"]),
    Route("/staff/members/{member}/disable", disable, methods=["POST"]),
    Route("/staff/members/{member}/password", new_password, methods=["POST"]),
]
