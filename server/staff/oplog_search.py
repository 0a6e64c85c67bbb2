"""``/staff/log``: the operation log searched by days, branch, account, app, screen, result and reason code,
newest first, 50 lines a page; ``GET /staff/api/log.csv`` streams the same search as CSV for the auditors.

A branch clerk searches and exports their own branch's lines only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from server import oplog_export
from server.db import oplog_search
from server.policy.locks import tokyo_day
from server.policy.log_filters import FIELDS, OUTCOMES, REASON_CODES, SCREENS, BadFilter, LogFilters, read_filters
from server.staff import render, sessions
from server.staff.guard import api, json_error, page
from server.staff.permissions import Permission, StaffMember
from server.web.database import connection

PAGE_SIZE = 50


def filters_of(request: Request, staff: StaffMember) -> LogFilters:
    today = tokyo_day(sessions.runtime_of(request).clock.now())
    return read_filters(request.query_params, today, staff.branch_scope)


def _before(request: Request) -> int | None:
    text = request.query_params.get("before", "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def _asked(request: Request) -> dict[str, str]:
    return {name: request.query_params[name] for name in FIELDS if request.query_params.get(name)}


def _choices() -> dict[str, Any]:
    return {"screens": SCREENS, "outcomes": OUTCOMES, "reason_codes": REASON_CODES}


@page(Permission.OPLOG_READ)
async def search(request: Request, staff: StaffMember) -> Response:
    _ = render.gettext_of(request)
    asked = _asked(request)
    context = {"title": _("Operation log"), "query": asked, **_choices()}
    try:
        filters = filters_of(request, staff)
    except BadFilter as bad:
        return render.page(request, "oplog.html", staff=staff, status=400, error=_("Check the filters: %(problem)s", problem=str(bad)),
                           lines=None, filters=None, **context)
    async with connection(sessions.runtime_of(request)) as conn:
        query = await oplog_export.log_query(conn, filters)
        lines = await oplog_search.page(conn, query, before=_before(request), size=PAGE_SIZE + 1)
    older = lines[PAGE_SIZE - 1]["id"] if len(lines) > PAGE_SIZE else None
    shown = {"from": filters.period.first.isoformat(), "to": filters.period.last.isoformat(), **asked}
    return render.page(request, "oplog.html", staff=staff, lines=lines[:PAGE_SIZE], filters=filters, **context,
                       older_url=f"/staff/log?{urlencode({**shown, 'before': older})}" if older else None,
                       csv_url=f"/staff/api/log.csv?{urlencode(shown)}")


@api(Permission.OPLOG_READ)
async def export_csv(request: Request, staff: StaffMember) -> Response:
    """The search as CSV, streamed; the export is recorded with the clerk and the filters."""
    runtime = sessions.runtime_of(request)
    try:
        filters = filters_of(request, staff)
    except BadFilter as bad:
        return json_error(400, "invalid_request", str(bad))
    audit = oplog_export.audit_entry(filters, runtime.clock.now(), staff_id=staff.staff_id,
                                     ip=request.client.host if request.client else None)
    return StreamingResponse(
        oplog_export.csv_chunks(runtime.pool, filters, audit), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{oplog_export.file_name(filters)}"', "Cache-Control": "no-store",
                 "X-Content-Type-Options": "nosniff"},
    )


routes = [Route("/staff/log", search, methods=["GET"]), Route("/staff/api/log.csv", export_csv, methods=["GET"])]
