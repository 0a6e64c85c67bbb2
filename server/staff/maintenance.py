"""Maintenance windows (head office): the calendar of the next 30 days, and windows staff add or cancel.

Added and cancelled windows are written with the maintenance service's own
queries, which NOTIFY every process; this process reloads at once as well, so
the very next request of any customer meets the window (S01).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.clock import TOKYO
from server.db import maintenance_windows
from server.logs import get_logger
from server.staff import audit, render, sessions
from server.staff.calendar_words import daily_labels, describe_labels, describe_rule
from server.staff.guard import form_of, page
from server.staff.permissions import Permission, StaffMember
from server.web.database import connection
from server.web.i18n import N_

log = get_logger(__name__)

CALENDAR_DAYS = 30
MAX_REASON = 200
# A typo in the year must not close the service for months; longer closures are several windows.
MAX_LENGTH = timedelta(days=31)
DONE_MESSAGES = {
    "added": N_("The window was added. Every server applies it now."),
    "cancelled": N_("The window was cancelled. Every server applies it now."),
    "gone": N_("That window was already cancelled."),
}


class WindowRefused(ValueError):
    def __init__(self, field: str, msgid: str) -> None:
        super().__init__(msgid)
        self.field, self.msgid = field, msgid


@dataclass(frozen=True)
class NewWindow:
    starts_at: datetime
    ends_at: datetime
    reason: str


def parse_time(text: str | None, field: str) -> datetime:
    """ISO 8601 (``2026-11-24T13:00`` as a form sends it, read as Tokyo time, or with an offset)."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
        return moment.replace(tzinfo=TOKYO) if moment.tzinfo is None else moment.astimezone(TOKYO)
    except (ValueError, OverflowError):  # not a time, or one that Tokyo time cannot hold (0001-01-01T00:00+14:00)
        raise WindowRefused(field, N_("Enter a date and time such as 2026-11-24 13:00.")) from None


def read_window(starts_at: str | None, ends_at: str | None, reason: str | None, now: datetime) -> NewWindow:
    """The window asked for, or ``WindowRefused`` naming the field at fault."""
    start, end = parse_time(starts_at, "starts_at"), parse_time(ends_at, "ends_at")
    if end <= start:
        raise WindowRefused("ends_at", N_("The end must come after the start."))
    if end <= now:
        raise WindowRefused("ends_at", N_("This window is already over."))
    if end - start > MAX_LENGTH:
        raise WindowRefused("ends_at", N_("One window may last 31 days at most."))
    text = unicodedata.normalize("NFC", reason or "").strip()
    if not text or len(text) > MAX_REASON or not text.isprintable():
        raise WindowRefused("reason", N_("Write the reason on one line, up to 200 characters."))
    return NewWindow(start, end, text)


async def add(conn: asyncpg.Connection, request: Request, staff: StaffMember, window: NewWindow) -> asyncpg.Record:
    runtime = sessions.runtime_of(request)
    now = runtime.clock.now()
    async with conn.transaction():
        row = await maintenance_windows.add_window(conn, window.starts_at, window.ends_at, window.reason, staff.staff_id, now)
        await _record(conn, request, staff, "staff:maintenance:add", row)
    await runtime.extras["maintenance"].refresh(runtime.pool, now)
    return row


async def cancel(conn: asyncpg.Connection, request: Request, staff: StaffMember, window_id: int) -> asyncpg.Record | None:
    runtime = sessions.runtime_of(request)
    now = runtime.clock.now()
    async with conn.transaction():
        row = await maintenance_windows.cancel_window(conn, window_id, staff.staff_id, now)
        if row is not None:
            await _record(conn, request, staff, "staff:maintenance:cancel", row)
    await runtime.extras["maintenance"].refresh(runtime.pool, now)
    return row


async def _record(conn: asyncpg.Connection, request: Request, staff: StaffMember, event: str, row: asyncpg.Record) -> None:
    detail = {"window": row["id"], "starts_at": render.iso(row["starts_at"]), "ends_at": render.iso(row["ends_at"]),
              "reason": row["reason"]}
    await audit.record(conn, request, event, staff_id=staff.staff_id, detail=detail)
    log.info(event.replace(":", "."), staff_id=staff.staff_id, window=row["id"])


def staff_window(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    return {
        "id": row["id"],
        "starts_at": render.iso(row["starts_at"]),
        "ends_at": render.iso(row["ends_at"]),
        "reason": row["reason"],
        "created_by": row["created_by"],
        "created_at": render.iso(row["created_at"]),
        "cancelled_at": render.iso(row["cancelled_at"]) if row["cancelled_at"] else None,
        "cancelled_by": row["cancelled_by"],
        "in_force": row["cancelled_at"] is None and row["ends_at"] > now,
    }


async def overview(conn: asyncpg.Connection, request: Request) -> dict[str, Any]:
    """The next 30 days' closures (published and staff-added, merged) and the staff-added windows."""
    runtime = sessions.runtime_of(request)
    now = runtime.clock.now()
    until = now + timedelta(days=CALENDAR_DAYS)
    added = [staff_window(row, now) for row in await maintenance_windows.list_windows(conn, now - timedelta(days=1), until)]
    reasons = {w["reason"] for w in added if w["cancelled_at"] is None}
    calendar = [
        {"starts_at": render.iso(w.starts_at), "ends_at": render.iso(w.ends_at), "labels": list(w.labels),
         "added_by_staff": any(label in reasons for label in w.labels)}
        for w in runtime.extras["maintenance"].windows_between(now, until)
    ]
    return {"from": render.iso(now), "until": render.iso(until), "calendar": calendar, "staff_windows": added}


async def _page(request: Request, staff: StaffMember, *, status: int = 200, **context: Any) -> Response:
    runtime = sessions.runtime_of(request)
    lang, _ = render.lang_of(request), render.gettext_of(request)
    render.after_action(request, DONE_MESSAGES, context, entered={"starts_at": "", "ends_at": "", "reason": ""})
    async with connection(runtime) as conn:
        data = await overview(conn, request)
    rules = runtime.extras["maintenance"].rules
    daily = daily_labels(rules)
    closures = [w | {"words": describe_labels(w["labels"], rules, lang, _)}
                for w in data["calendar"] if not set(w["labels"]) <= daily]
    every_day = [describe_rule(rule, lang, _) for rule in rules if rule.label in daily]
    return render.page(request, "maintenance.html", staff=staff, status=status, title=_("Maintenance windows"),
                       days=CALENDAR_DAYS, staff_windows=data["staff_windows"], closures=closures,
                       every_day=every_day, **context)


@page(Permission.MAINTENANCE_READ)
async def show(request: Request, staff: StaffMember) -> Response:
    return await _page(request, staff)


@page(Permission.MAINTENANCE_WRITE)
async def add_from_form(request: Request, staff: StaffMember) -> Response:
    form = form_of(request)
    entered = {name: form.get(name, "")[:MAX_REASON + 50] for name in ("starts_at", "ends_at", "reason")}
    try:
        window = read_window(entered["starts_at"], entered["ends_at"], entered["reason"],
                             sessions.runtime_of(request).clock.now())
    except WindowRefused as refused:
        _ = render.gettext_of(request)
        return await _page(request, staff, status=422, error=_(refused.msgid),
                           field_errors={refused.field: _(refused.msgid)}, entered=entered)
    async with connection(sessions.runtime_of(request)) as conn:
        await add(conn, request, staff, window)
    return RedirectResponse("/staff/maintenance?done=added", status_code=303)


@page(Permission.MAINTENANCE_WRITE)
async def cancel_from_form(request: Request, staff: StaffMember) -> Response:
    window_id = request.path_params["window_id"]
    async with connection(sessions.runtime_of(request)) as conn:
        row = await cancel(conn, request, staff, window_id) if window_id < 2**63 else None
    return RedirectResponse(f"/staff/maintenance?done={'cancelled' if row else 'gone'}", status_code=303)


routes = [
    Route("/staff/maintenance", show, methods=["GET"]),
    Route("/staff/maintenance", add_from_form, methods=["POST"]),
    Route("/staff/maintenance/{window_id:int}/cancel", cancel_from_form, methods=["POST"]),
]
