"""The console's JSON API under /staff/api/ (contract §8): the same reads and actions as the pages.

Authenticated by the session cookie of ``POST /staff/login``; state-changing
calls carry the session's CSRF token (``GET /staff/api/session``) in
``X-CSRF-Token``. Another branch's account answers 404, as if it did not exist.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.staff import account, maintenance, revoke, sessions, unlock
from server.staff.guard import api, json_error, json_response
from server.staff.permissions import Permission, StaffMember
from server.staff.scope import visible_account
from server.web.database import connection

MAX_BODY_BYTES = 8 * 1024
Report = Callable[[asyncpg.Connection, asyncpg.Record], Awaitable[Any]]


@api(Permission.ACCOUNT_READ)
async def session_info(request: Request, staff: StaffMember) -> Response:
    """Who is signed in, what they may do, and the token for state-changing calls."""
    return json_response({
        "staff_id": staff.staff_id,
        "branch_code": staff.branch_code,
        "role": staff.role.value,
        "permissions": sorted(p.value for p in staff.permissions),
        "csrf_token": sessions.csrf_token(request),
    })


def account_not_found() -> Response:
    return json_error(404, "not_found", "no such account")


async def _about_account(request: Request, staff: StaffMember, report: Report) -> Response:
    """``report`` on the account the URL names, or 404 when this clerk may not see it."""
    async with connection(sessions.runtime_of(request)) as conn:
        found = await visible_account(conn, staff, request.path_params["key"])
        if found is None:
            return account_not_found()
        return json_response(await report(conn, found))


@api(Permission.ACCOUNT_LOCK_READ)
async def lock(request: Request, staff: StaffMember) -> Response:
    """Exactly ``{"identity": {"locked", "until", "failures"}, "pin": {...}}``."""
    runtime = sessions.runtime_of(request)
    return await _about_account(request, staff, lambda conn, row: account.lock_report(conn, runtime, row["id"]))


@api(Permission.ACCOUNT_READ)
async def log(request: Request, staff: StaffMember) -> Response:
    async def report(conn: asyncpg.Connection, row: asyncpg.Record) -> dict[str, Any]:
        return {"account": str(account.account_key(row)), "log": await account.log_report(conn, request, row["id"])}

    return await _about_account(request, staff, report)


@api(Permission.GRANT_READ)
async def grants(request: Request, staff: StaffMember) -> Response:
    runtime = sessions.runtime_of(request)

    async def report(conn: asyncpg.Connection, row: asyncpg.Record) -> dict[str, Any]:
        return {"account": str(account.account_key(row)), "grants": await account.apps_report(conn, runtime, row["id"])}

    return await _about_account(request, staff, report)


class BadBody(ValueError):
    pass


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object (at most 8 KiB), or ``BadBody``."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise BadBody("send Content-Type: application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BadBody("the body is too large")
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadBody("the body is not JSON") from None
    if not isinstance(value, dict):
        raise BadBody("the body must be a JSON object")
    return value


@api(Permission.ACCOUNT_LOCK_CLEAR)
async def clear_lock(request: Request, staff: StaffMember) -> Response:
    """``{"kind": "identity"|"pin", "reason": "..."}`` → ``{"lifted": bool, "requested": bool, "lock": {...}}``.

    ``requested``: under 役席承認 the lock waits for a supervisor's approval (in the console)."""
    runtime = sessions.runtime_of(request)
    try:
        body = await read_json(request)
        asked = unlock.read_unlock(_text(body.get("kind")), _text(body.get("reason")))
    except BadBody as bad:
        return json_error(400, "invalid_request", str(bad))
    except unlock.UnlockRefused as refused:
        return json_error(400, "invalid_request", refused.msgid)

    async def report(conn: asyncpg.Connection, row: asyncpg.Record) -> dict[str, Any]:
        done = await unlock.carry_out(conn, request, staff, row, asked)
        lock = await account.lock_report(conn, runtime, row["id"])
        # Under 役席承認 the call asks; a supervisor's approval in the console lifts.
        return {"lifted": done == asked.kind.value, "requested": done in ("requested", "waiting"), "lock": lock}

    return await _about_account(request, staff, report)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@api(Permission.GRANT_REVOKE)
async def revoke_grant(request: Request, staff: StaffMember) -> Response:
    """→ ``{"revoked": true}`` (ended now) or ``{"revoked": false}`` (it had ended already); 404 otherwise."""
    async with connection(sessions.runtime_of(request)) as conn:
        found = await visible_account(conn, staff, request.path_params["key"])
        ended = await revoke.end_link(conn, request, staff, found, request.path_params["grant_id"]) if found else None
    if ended is None:
        return account_not_found()
    return json_response({"revoked": ended})


@api(Permission.MAINTENANCE_READ)
async def maintenance_windows(request: Request, staff: StaffMember) -> Response:
    async with connection(sessions.runtime_of(request)) as conn:
        return json_response(await maintenance.overview(conn, request))


@api(Permission.MAINTENANCE_WRITE)
async def add_maintenance_window(request: Request, staff: StaffMember) -> Response:
    """``{"starts_at", "ends_at", "reason"}`` (ISO 8601; without an offset: Japan time) → 201 the window."""
    runtime = sessions.runtime_of(request)
    try:
        body = await read_json(request)
        window = maintenance.read_window(
            _text(body.get("starts_at")), _text(body.get("ends_at")), _text(body.get("reason")), runtime.clock.now()
        )
    except BadBody as bad:
        return json_error(400, "invalid_request", str(bad))
    except maintenance.WindowRefused as refused:
        return json_error(400, "invalid_request", f"{refused.field}: {refused.msgid}")
    async with connection(runtime) as conn:
        row = await maintenance.add(conn, request, staff, window)
    return json_response(maintenance.staff_window(row, runtime.clock.now()), 201)


async def maintenance_windows_resource(request: Request) -> Response:
    """One route for both methods, so that a 405 or OPTIONS lists GET, HEAD and POST in ``Allow``."""
    if request.method == "POST":
        return await add_maintenance_window(request)
    return await maintenance_windows(request)


# The least either method needs; POST's own view asks for MAINTENANCE_WRITE as well.
maintenance_windows_resource.permission = Permission.MAINTENANCE_READ  # type: ignore[attr-defined]


@api(Permission.MAINTENANCE_WRITE)
async def cancel_maintenance_window(request: Request, staff: StaffMember) -> Response:
    runtime = sessions.runtime_of(request)
    window_id = request.path_params["window_id"]
    async with connection(runtime) as conn:
        row = await maintenance.cancel(conn, request, staff, window_id) if window_id < 2**63 else None
    if row is None:
        return json_error(404, "not_found", "no such window in force")
    return json_response(maintenance.staff_window(row, runtime.clock.now()))


routes = [
    Route("/staff/api/session", session_info, methods=["GET"]),
    Route("/staff/api/accounts/{key}/lock", lock, methods=["GET"]),
    Route("/staff/api/accounts/{key}/log", log, methods=["GET"]),
    Route("/staff/api/accounts/{key}/grants", grants, methods=["GET"]),
    Route("/staff/api/accounts/{key}/lock/clear", clear_lock, methods=["POST"]),
    Route("/staff/api/accounts/{key}/grants/{grant_id}/revoke", revoke_grant, methods=["POST"]),
    Route("/staff/api/maintenance-windows", maintenance_windows_resource, methods=["GET", "POST"]),
    Route("/staff/api/maintenance-windows/{window_id:int}/cancel", cancel_maintenance_window, methods=["POST"]),
]
