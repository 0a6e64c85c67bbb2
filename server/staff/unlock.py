"""Lifting an identity or PIN lock before 00:00, with a reason (POST .../unlock and the API's lock/clear).

The lock is cleared with the same query ``renkei locks clear`` uses, and the
operation log records who, when and why in the same transaction: an unlock
that is not in the log did not happen. The customer may try again at once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.db import locks
from server.logs import get_logger
from server.policy.locks import LockKind
from server.staff import account, audit, lock_requests, render, sessions
from server.staff.guard import form_of, page
from server.staff.permissions import Permission, StaffMember
from server.staff.scope import visible_account
from server.web.database import connection
from server.web.i18n import N_

log = get_logger(__name__)

MAX_REASON = 200
REASON_MISSING = N_("Write why you lift the lock.")
REASON_TOO_LONG = N_("Keep the reason to 200 characters or fewer.")


class UnlockRefused(ValueError):
    """The request cannot be carried out as asked; ``msgid`` says why, in the clerk's words."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


@dataclass(frozen=True)
class Unlock:
    kind: LockKind
    reason: str


def read_unlock(kind: str | None, reason: str | None) -> Unlock:
    """The unlock asked for, or ``UnlockRefused``; the reason is kept as typed, trimmed."""
    if kind not in {k.value for k in LockKind}:
        raise UnlockRefused(N_("Choose the identity lock or the PIN lock."))
    return Unlock(LockKind(kind), read_reason(reason))


def read_reason(reason: str | None) -> str:
    """Why a member acts, as typed and trimmed (an unlock's reason, an approval's note), or ``UnlockRefused``."""
    text = unicodedata.normalize("NFC", reason or "").strip()
    if not text:
        raise UnlockRefused(REASON_MISSING)
    if len(text) > MAX_REASON:
        raise UnlockRefused(REASON_TOO_LONG)
    if not all(ch.isprintable() or ch in "\n\t" for ch in text.replace("\r\n", "\n")):
        raise UnlockRefused(N_("The reason may contain only ordinary text."))
    return text.replace("\r\n", "\n")


async def lift_lock(
    conn: asyncpg.Connection, request: Request, staff: StaffMember, found: asyncpg.Record, unlock: Unlock
) -> bool:
    """Clear the lock and log it, in one transaction; False if there was no lock in force to lift."""
    runtime = sessions.runtime_of(request)
    now = runtime.clock.now()
    account_fields = audit.account_fields(found)
    async with conn.transaction():
        lifted = await locks.clear_locks(conn, found["id"], [unlock.kind], cleared_by=staff.staff_id, now=now)
        if lifted:
            await audit.record(conn, request, "staff:lock:clear", staff_id=staff.staff_id,
                               detail={"kind": unlock.kind.value, "reason": unlock.reason}, **account_fields)
    log.info("staff.lock.clear", staff_id=staff.staff_id, kind=unlock.kind.value, lifted=bool(lifted),
             account=account_fields["account_masked"])
    return bool(lifted)


async def carry_out(conn: asyncpg.Connection, request: Request, staff: StaffMember, found: asyncpg.Record, asked: Unlock) -> str:
    """What became of a confirmed unlock: the kind lifted, ``none`` (no lock), or the request's fate under 役席承認."""
    if lock_requests.approval_needed(request):
        return await lock_requests.request_unlock(conn, request, staff, found, asked.kind, asked.reason)
    lifted = await lift_lock(conn, request, staff, found, asked)
    return asked.kind.value if lifted else "none"


async def _confirm_page(request: Request, staff: StaffMember, conn: asyncpg.Connection, found: asyncpg.Record, asked: Unlock) -> Response:
    """The step before the lift: what will happen, to which account, and why, with a way back."""
    _ = render.gettext_of(request)
    lock = (await account.lock_report(conn, sessions.runtime_of(request), found["id"]))[asked.kind.value]
    return render.page(
        request, "unlock_confirm.html", staff=staff, title=_("Lift this lock?"), account=account.summary(found, staff, render.lang_of(request)),
        kind=asked.kind.value, reason=asked.reason, lock=lock, approval=lock_requests.approval_needed(request),
        action=f"/staff/accounts/{account.account_key(found)}/unlock", back=f"/staff/accounts/{account.account_key(found)}",
    )


@page(Permission.ACCOUNT_LOCK_CLEAR)
async def unlock(request: Request, staff: StaffMember) -> Response:
    """The account screen's form asks first (the confirmation page); the confirmed form lifts or requests."""
    form = form_of(request)
    async with connection(sessions.runtime_of(request)) as conn:
        found = await visible_account(conn, staff, request.path_params["key"])
        if found is None:
            return account.not_found(request, staff)
        try:
            asked = read_unlock(form.get("kind"), form.get("reason"))
        except UnlockRefused as refused:
            kind = form.get("kind", "")
            _ = render.gettext_of(request)
            return await account.account_page(
                request, staff, conn, found, status=422, error=_(refused.msgid),
                field_errors={kind: _(refused.msgid)}, reasons_entered={kind: form.get("reason", "")[:MAX_REASON]},
            )
        if form.get("confirmed") != "yes":
            return await _confirm_page(request, staff, conn, found, asked)
        done = await carry_out(conn, request, staff, found, asked)
    return RedirectResponse(f"/staff/accounts/{account.account_key(found)}?done={done}", status_code=303)


routes = [Route("/staff/accounts/{key}/unlock", unlock, methods=["POST"])]
