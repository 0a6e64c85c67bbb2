"""Finding a customer at the counter: by branch-type-number, by kana name or by registered phone number.

GET /staff/accounts (the search screen and its results) and its JSON,
GET /staff/api/accounts?kana=… or ?phone=…. A branch clerk finds their own
branch's accounts only; head office finds every branch's. The kana is folded
by server.policy.kana, the phone by server.policy.phone_numbers, so a clerk
types either the way the customer says it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.db import counter
from server.policy.kana import InvalidKana, search_key
from server.policy.phone_numbers import InvalidPhoneNumber, normalise
from server.staff import render, sessions
from server.staff.account_types import account_type_name
from server.staff.guard import api, json_error, json_response, page
from server.staff.permissions import Permission, Role, StaffMember
from server.staff.scope import AccountKey, parse_account_key, visible_account
from server.web.database import connection
from server.web.i18n import N_

MAX_RESULTS = 50
MAX_TYPED = 64
KEY_FIELDS = ("branch_code", "account_type", "account_number")
KANA_REFUSED = N_("Enter the name in kana (katakana or hiragana), for example ヤマダ タロウ.")
PHONE_REFUSED = N_("Enter a Japanese phone number, for example 090-1234-5678.")
ONE_AT_A_TIME = N_("Search by the name or by the phone number, one at a time.")


class SearchRefused(ValueError):
    """What the clerk typed cannot be searched for; ``msgid`` says why."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def read_search(kana: str | None, phone: str | None) -> tuple[str, str]:
    """``("kana", key)`` or ``("phone", e164)`` for what was typed; ``SearchRefused`` otherwise."""
    kana, phone = (kana or "")[:MAX_TYPED].strip(), (phone or "")[:MAX_TYPED].strip()
    if bool(kana) == bool(phone):
        raise SearchRefused(ONE_AT_A_TIME)
    try:
        return ("kana", search_key(kana)) if kana else ("phone", normalise(phone))
    except InvalidKana:
        raise SearchRefused(KANA_REFUSED) from None
    except InvalidPhoneNumber:
        raise SearchRefused(PHONE_REFUSED) from None


async def find_accounts(conn: asyncpg.Connection, staff: StaffMember, how: str, value: str) -> list[asyncpg.Record]:
    """Up to MAX_RESULTS + 1 accounts (one more says "there are more"), within the clerk's branch."""
    find = counter.accounts_by_kana if how == "kana" else counter.accounts_by_phone
    return await find(conn, value, staff.branch_scope, MAX_RESULTS + 1)


def listed(row: asyncpg.Record) -> dict[str, Any]:
    """One account found, as the JSON API gives it."""
    key = AccountKey(row["branch_code"], row["account_type"], row["account_number"])
    return {"account": str(key), "name_kana": row["name_kana"], "status": row["status"]}


@api(Permission.ACCOUNT_READ)
async def accounts_api(request: Request, staff: StaffMember) -> Response:
    """``?kana=`` or ``?phone=`` → ``[{"account", "name_kana", "status"}]`` (at most MAX_RESULTS)."""
    try:
        how, value = read_search(request.query_params.get("kana"), request.query_params.get("phone"))
    except SearchRefused as refused:
        return json_error(400, "invalid_request", refused.msgid)
    async with connection(sessions.runtime_of(request)) as conn:
        rows = await find_accounts(conn, staff, how, value)
    return json_response([listed(row) for row in rows[:MAX_RESULTS]])


def _results(rows: list[asyncpg.Record], lang: str) -> list[dict[str, Any]]:
    return [listed(row) | {"type_name": account_type_name(row["account_type"], lang)} for row in rows[:MAX_RESULTS]]


async def _by_name_or_phone(request: Request, staff: StaffMember, typed: dict[str, str]) -> Response:
    _ = render.gettext_of(request)
    try:
        how, value = read_search(typed["kana"], typed["phone"])
    except SearchRefused as refused:
        return _search_page(request, staff, typed, status=400, error=_(refused.msgid))
    async with connection(sessions.runtime_of(request)) as conn:
        rows = await find_accounts(conn, staff, how, value)
    return _search_page(request, staff, typed, results=_results(rows, render.lang_of(request)),
                        more=len(rows) > MAX_RESULTS, searched_by=how)


def _search_page(request: Request, staff: StaffMember, typed: dict[str, str], *, status: int = 200, **context: Any) -> Response:
    _ = render.gettext_of(request)
    context.setdefault("results", None)
    return render.page(request, "search.html", staff=staff, status=status, title=_("Find a customer's account"),
                       query=typed, max_results=MAX_RESULTS, **context)


async def _by_key(request: Request, staff: StaffMember, typed: dict[str, str]) -> Response:
    """A complete branch-type-number goes straight to the account's screen."""
    _ = render.gettext_of(request)
    key = parse_account_key("-".join(typed[name] for name in KEY_FIELDS))
    if key is not None:
        async with connection(sessions.runtime_of(request)) as conn:
            if await visible_account(conn, staff, key) is not None:
                return RedirectResponse(f"/staff/accounts/{key}", status_code=303)
    error = _("No account you can see has this branch, type and number.") if key else _(
        "Enter a 3-digit branch number, a 1-digit account type and a 7-digit account number.")
    return _search_page(request, staff, typed, status=404 if key else 400, error=error)


@page(Permission.ACCOUNT_READ)
async def search(request: Request, staff: StaffMember) -> Response:
    """The search screen: by number, by kana name or by phone; empty, it offers all three."""
    typed = {name: request.query_params.get(name, "")[:MAX_TYPED] for name in (*KEY_FIELDS, "kana", "phone")}
    if any(typed[name] for name in KEY_FIELDS) and not (typed["kana"].strip() or typed["phone"].strip()):
        return await _by_key(request, staff, typed)
    typed["branch_code"] = "" if staff.role == Role.HQ else staff.branch_code
    if typed["kana"].strip() or typed["phone"].strip():
        return await _by_name_or_phone(request, staff, typed)
    return _search_page(request, staff, typed)


routes = [
    Route("/staff/accounts", search, methods=["GET"]),
    Route("/staff/api/accounts", accounts_api, methods=["GET"]),
]
