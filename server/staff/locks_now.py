"""The branch's accounts locked now, and when each lock lifts by itself (GET /staff/locks and its JSON).

A customer who calls the counter is usually one of these. A branch clerk sees
their own branch's locks; head office sees every branch's.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.db import counter
from server.staff import render, sessions
from server.staff.account_types import account_type_name
from server.staff.guard import api, json_response, page
from server.staff.permissions import Permission, StaffMember
from server.staff.scope import AccountKey
from server.web.database import connection

MAX_LOCKS = 500


def locked(row: asyncpg.Record) -> dict[str, Any]:
    """One lock in force, as the JSON API gives it."""
    key = AccountKey(row["branch_code"], row["account_type"], row["account_number"])
    return {"account": str(key), "kind": row["kind"], "until": render.iso(row["until"])}


async def locks_of(request: Request, staff: StaffMember) -> list[asyncpg.Record]:
    runtime = sessions.runtime_of(request)
    async with connection(runtime) as conn:
        return await counter.locks_in_force(conn, staff.branch_scope, runtime.clock.now(), MAX_LOCKS)


@api(Permission.ACCOUNT_LOCK_READ)
async def locks_api(request: Request, staff: StaffMember) -> Response:
    """``[{"account", "kind": "identity"|"pin", "until"}]``, the soonest to lift first."""
    return json_response([locked(row) for row in await locks_of(request, staff)])


@page(Permission.ACCOUNT_LOCK_READ)
async def locks_page(request: Request, staff: StaffMember) -> Response:
    _, lang = render.gettext_of(request), render.lang_of(request)
    rows = [locked(row) | {"name_kana": row["name_kana"], "type_name": account_type_name(row["account_type"], lang)}
            for row in await locks_of(request, staff)]
    return render.page(request, "locks.html", staff=staff, title=_("Accounts locked now"), locks=rows)


routes = [
    Route("/staff/locks", locks_page, methods=["GET"]),
    Route("/staff/api/locks", locks_api, methods=["GET"]),
]
