"""役席承認 in the console: a supervisor's list of unlock requests waiting, and the approval that lifts the lock.

GET /staff/approvals lists the requests of the supervisor's branch (head office:
every branch). Approving asks for a note and a confirmation first, like any
lift; the decision itself is server.staff.lock_requests.approve.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.db import unlock_requests
from server.staff import render, sessions
from server.staff.account_types import account_type_name
from server.staff.guard import form_of, page
from server.staff.lock_requests import Decision, approve
from server.staff.permissions import Permission, StaffMember
from server.staff.unlock import MAX_REASON, UnlockRefused, read_reason
from server.web.database import connection
from server.web.i18n import N_

MAX_LISTED = 200
REFUSALS = {
    Decision.OWN: (403, N_("You cannot approve your own request"),
                   N_("Another supervisor must approve it.")),
    Decision.DECIDED: (409, N_("This request was already decided"),
                       N_("%(staff)s decided it first. Nothing more needs doing.")),
    Decision.NOT_FOUND: (404, N_("No such request"), N_("There is no unlock request with this number that you can see.")),
}


def _waiting(row: asyncpg.Record, lang: str) -> dict[str, Any]:
    key = f"{row['branch_code']}-{row['account_type']}-{row['account_number']}"
    return {"id": row["id"], "account": key, "name_kana": row["name_kana"], "kind": row["kind"], "reason": row["reason"],
            "requested_by": row["requested_by"], "requested_at": render.iso(row["requested_at"]),
            "lock_until": render.iso(row["lock_until"]), "type_name": account_type_name(row["account_type"], lang)}


async def approvals_page(request: Request, staff: StaffMember, *, status: int = 200, **context: Any) -> Response:
    runtime = sessions.runtime_of(request)
    _, lang = render.gettext_of(request), render.lang_of(request)
    async with connection(runtime) as conn:
        rows = await unlock_requests.pending(conn, staff.branch_scope, runtime.clock.now(), MAX_LISTED)
    context.setdefault("field_errors", {})
    context.setdefault("notes_entered", {})
    return render.page(request, "approvals.html", staff=staff, status=status, title=_("Unlock requests waiting for approval"),
                       waiting=[_waiting(row, lang) for row in rows], **context)


@page(Permission.ACCOUNT_LOCK_APPROVE)
async def approvals(request: Request, staff: StaffMember) -> Response:
    return await approvals_page(request, staff)


async def _confirm(request: Request, staff: StaffMember, request_id: int, note: str) -> Response:
    _ = render.gettext_of(request)
    async with connection(sessions.runtime_of(request)) as conn:
        row = await unlock_requests.request_by_id(conn, request_id)
    if row is None or not staff.sees_branch(row["branch_code"]):
        return _refused(request, staff, Decision.NOT_FOUND, None)
    waiting = _waiting(row, render.lang_of(request))
    return render.page(request, "approve_confirm.html", staff=staff, title=_("Approve and lift this lock?"),
                       waiting=waiting, note=note, action=f"/staff/approvals/{request_id}/approve", back="/staff/approvals")


def _refused(request: Request, staff: StaffMember, decision: Decision, decided_by: str | None) -> Response:
    _ = render.gettext_of(request)
    status, title, text = REFUSALS[decision]
    return render.problem(request, staff=staff, status=status, title=_(title), text=_(text, staff=decided_by or ""))


@page(Permission.ACCOUNT_LOCK_APPROVE)
async def approve_request(request: Request, staff: StaffMember) -> Response:
    """Note first, then the confirmation page, then the decision: lifted, lapsed, or refused and why."""
    form, request_id = form_of(request), request.path_params["request_id"]
    try:
        note = read_reason(form.get("note"))
    except UnlockRefused as refused:
        _ = render.gettext_of(request)
        return await approvals_page(request, staff, status=422, error=_(refused.msgid),
                                    field_errors={request_id: _(refused.msgid)},
                                    notes_entered={request_id: form.get("note", "")[:MAX_REASON]})
    if request_id >= 2**63:
        return _refused(request, staff, Decision.NOT_FOUND, None)
    if form.get("confirmed") != "yes":
        return await _confirm(request, staff, request_id, note)
    async with connection(sessions.runtime_of(request)) as conn:
        outcome = await approve(conn, request, staff, request_id, note)
    if outcome.decision in REFUSALS:
        return _refused(request, staff, outcome.decision, outcome.decided_by)
    return RedirectResponse(f"/staff/accounts/{outcome.account_key}?done={outcome.decision.value}", status_code=303)


routes = [
    Route("/staff/approvals", approvals, methods=["GET"]),
    Route("/staff/approvals/{request_id:int}/approve", approve_request, methods=["POST"]),
]
