"""The account screen: why a customer cannot link their app, at a glance.

GET /staff/accounts (search by branch, type, number) and
GET /staff/accounts/{branch}-{type}-{number}: the identity and PIN locks with
today's failures and when each lifts, the recent operation log in words, the
apps linked, and the account's status (moved: where to).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.db import locks, staff_console, unlock_requests
from server.oauth.scopes import describe as describe_scope
from server.runtime import Runtime
from server.staff import history, lock_requests, render, sessions
from server.staff.account_types import account_type_name
from server.staff.guard import page
from server.staff.permissions import Permission, StaffMember
from server.staff.scope import AccountKey, parse_account_key, visible_account
from server.web.database import connection
from server.web.i18n import N_

# What the screen says after an action redirected back to it (?done=...).
DONE_MESSAGES = {
    "identity": N_("The identity lock was lifted. The customer can try again now."),
    "pin": N_("The PIN lock was lifted. The customer can try again now."),
    "none": N_("There was no lock to lift: it had already lifted."),
    "revoked": N_("The app link was ended. The app can no longer use this account."),
    "requested": N_("Your request to lift the lock was sent. It lifts once a supervisor approves it."),
    "waiting": N_("A request to lift this lock is already waiting for a supervisor's approval."),
    "lifted": N_("Approved: the lock was lifted. The customer can try again now."),
    "lapsed": N_("Nothing was lifted: the lock had already lifted (at 00:00 or by another member)."),
}


def account_key(account: asyncpg.Record) -> AccountKey:
    return AccountKey(account["branch_code"], account["account_type"], account["account_number"])


def summary(account: asyncpg.Record, staff: StaffMember, lang: str = "ja") -> dict[str, Any]:
    moved_to = parse_account_key(account["moved_to"] or "")
    return {
        "key": str(account_key(account)),
        "branch_code": account["branch_code"],
        "account_type": account["account_type"],
        "account_type_name": account_type_name(account["account_type"], lang),
        "account_number": account["account_number"],
        "name_kana": account["name_kana"],
        "cash_card": account["cash_card"],
        "status": account["status"],
        "moved_to": str(moved_to) if moved_to else None,
        "moved_to_visible": bool(moved_to) and staff.sees_branch(moved_to.branch_code),
    }


async def lock_report(conn: asyncpg.Connection, runtime: Runtime, account_id: int) -> dict[str, Any]:
    """The contract §8 shape, as ``renkei locks show`` and the customer screens see it."""
    return await locks.lock_state(conn, account_id, runtime.clock.now())


async def apps_report(conn: asyncpg.Connection, runtime: Runtime, account_id: int) -> list[dict[str, Any]]:
    now = runtime.clock.now()
    idle = timedelta(days=runtime.settings.policy.grant_idle_days)
    # A link whose code the app never exchanged gave it nothing: once the code has expired it is no link.
    code = timedelta(seconds=runtime.settings.policy.authorization_code_seconds)
    rows = await staff_console.linked_apps(conn, account_id, now, unused_since=now - idle, codes_issued_since=now - code)
    return [_app(row, idle) for row in rows]


def _app(row: asyncpg.Record, idle: timedelta) -> dict[str, Any]:
    ends: datetime = min(row["expires_at"], row["last_used_at"] + idle)
    return {
        "grant_id": str(row["id"]),
        "client_id": row["client_id"],
        "client_name": row["client_name"],
        "operator": row["operator"],
        "scopes": list(row["scopes"]),
        "since": render.iso(row["authenticated_at"]),
        "last_used": render.iso(row["last_used_at"]),
        "expires": render.iso(ends),
    }


async def history_report(conn: asyncpg.Connection, request: Request, account_id: int) -> dict[str, Any]:
    """The page of the account's history that ``?page=`` names (the newest by default)."""
    page = history.read_page(request.query_params.get("page"))
    return await history.history_page(conn, account_id, page, render.lang_of(request), render.gettext_of(request))


async def log_report(conn: asyncpg.Connection, request: Request, account_id: int) -> list[dict[str, Any]]:
    return (await history_report(conn, request, account_id))["lines"]


async def account_page(
    request: Request, staff: StaffMember, conn: asyncpg.Connection, account: asyncpg.Record, *,
    status: int = 200, **context: Any,
) -> Response:
    """The account screen; unlock and revoke come back here with a message or a field error."""
    runtime = sessions.runtime_of(request)
    _ = render.gettext_of(request)
    render.after_action(request, DONE_MESSAGES, context, reasons_entered={})
    return render.page(
        request, "account.html", staff=staff, status=status,
        title=_("Account %(key)s", key=str(account_key(account))),
        account=summary(account, staff, render.lang_of(request)),
        locks=await lock_report(conn, runtime, account["id"]) if staff.can(Permission.ACCOUNT_LOCK_READ) else None,
        approval=lock_requests.approval_needed(request),
        pending={r["kind"]: r for r in await unlock_requests.pending_for_account(conn, account["id"], runtime.clock.now())},
        limits={"identity": runtime.settings.policy.identity_failures_before_lock,
                "pin": runtime.settings.policy.pin_failures_before_lock},
        apps=await apps_report(conn, runtime, account["id"]) if staff.can(Permission.GRANT_READ) else None,
        history=await history_report(conn, request, account["id"]),
        scope_text=lambda scope: describe_scope(scope, _),
        **context,
    )


def not_found(request: Request, staff: StaffMember) -> Response:
    """The same answer for an account that does not exist and one of another branch."""
    _ = render.gettext_of(request)
    return render.problem(request, staff=staff, status=404, title=_("Account not found"),
                          text=_("There is no account with this branch, type and number that you can see."))


@page(Permission.ACCOUNT_READ)
async def show_account(request: Request, staff: StaffMember) -> Response:
    async with connection(sessions.runtime_of(request)) as conn:
        account = await visible_account(conn, staff, request.path_params["key"])
        if account is None:
            return not_found(request, staff)
        return await account_page(request, staff, conn, account)


routes = [
    Route("/staff/accounts/{key}", show_account, methods=["GET"]),
]
