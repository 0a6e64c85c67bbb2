"""役席承認: where ``[staff] unlock_approval`` is on, a lock lifts only once a second member, a supervisor, approves.

A member's unlock becomes a request (``staff:lock:request``); a supervisor of
the account's branch (or head office), never the one who asked, approves it
(``staff:lock:approve``) and the lock lifts in the same transaction
(``staff:lock:clear``, naming both). The request row is locked while it is
decided, so two supervisors approving at once lift it once; a request whose
lock has lifted meanwhile (00:00, or another member) closes as ``lapsed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import asyncpg
from starlette.requests import Request

from server.db import locks, unlock_requests
from server.logs import get_logger
from server.policy.locks import LockKind
from server.staff import audit, sessions
from server.staff.permissions import StaffMember

log = get_logger(__name__)


def approval_needed(request: Request) -> bool:
    return sessions.runtime_of(request).settings.staff.unlock_approval


async def request_unlock(
    conn: asyncpg.Connection, request: Request, staff: StaffMember, found: asyncpg.Record, kind: LockKind, reason: str,
) -> str:
    """``requested``, ``waiting`` (one is waiting already) or ``none`` (no lock in force to lift)."""
    now = sessions.runtime_of(request).clock.now()
    async with conn.transaction():
        await locks.queue_behind_other_attempts(conn, found["id"])
        lock_until = await unlock_requests.lock_lifts_at(conn, found["id"], kind.value, now)
        if lock_until is None:
            return "none"
        request_id = await unlock_requests.add_request(conn, found["id"], kind.value, reason, staff.staff_id, now, lock_until)
        if request_id is None:
            return "waiting"
        await audit.record(conn, request, "staff:lock:request", staff_id=staff.staff_id, outcome="info",
                           detail={"kind": kind.value, "reason": reason, "request": request_id}, **audit.account_fields(found))
    log.info("staff.lock.request", staff_id=staff.staff_id, kind=kind.value, request=request_id)
    return "requested"


class Decision(StrEnum):
    LIFTED = "lifted"  # approved, and the lock lifted now
    LAPSED = "lapsed"  # approved, but the lock had lifted already
    OWN = "own"  # the supervisor's own request: refused
    DECIDED = "decided"  # someone decided it first
    NOT_FOUND = "not_found"  # no such request, or not one of this member's branch


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    account_key: str | None = None
    decided_by: str | None = None


def _key(row: asyncpg.Record) -> str:
    return f"{row['branch_code']}-{row['account_type']}-{row['account_number']}"


async def approve(conn: asyncpg.Connection, request: Request, staff: StaffMember, request_id: int, note: str) -> Outcome:
    """Approve and lift, in one transaction with its records; or say why not."""
    now = sessions.runtime_of(request).clock.now()
    async with conn.transaction():
        row = await unlock_requests.request_for_decision(conn, request_id)
        if row is None or not staff.sees_branch(row["branch_code"]):
            return Outcome(Decision.NOT_FOUND)
        if row["state"] != "pending":
            return Outcome(Decision.DECIDED, _key(row), row["decided_by"])
        if row["requested_by"] == staff.staff_id:
            return Outcome(Decision.OWN, _key(row))
        # The lock asked about lifted by itself at lock_until: a later lock is not this request's to lift.
        lifted = now < row["lock_until"] and await locks.clear_locks(
            conn, row["account_id"], [LockKind(row["kind"])], cleared_by=staff.staff_id, now=now)
        decision = Decision.LIFTED if lifted else Decision.LAPSED
        await unlock_requests.decide(conn, request_id, decision.value, staff.staff_id, note, now)
        await _record_approval(conn, request, staff, row, note, decision)
    log.info("staff.lock.approve", staff_id=staff.staff_id, request=request_id, decision=decision.value)
    return Outcome(decision, _key(row), staff.staff_id)


async def _record_approval(
    conn: asyncpg.Connection, request: Request, staff: StaffMember, row: asyncpg.Record, note: str, decision: Decision,
) -> None:
    fields = audit.account_fields(_account_of(row))
    common = {"kind": row["kind"], "request": row["id"], "requested_by": row["requested_by"]}
    await audit.record(conn, request, "staff:lock:approve", staff_id=staff.staff_id,
                       outcome="success" if decision == Decision.LIFTED else "info",
                       detail=common | {"reason": note, "result": decision.value}, **fields)
    if decision == Decision.LIFTED:
        await audit.record(conn, request, "staff:lock:clear", staff_id=staff.staff_id,
                           detail=common | {"reason": row["reason"], "approved_by": staff.staff_id}, **fields)


def _account_of(row: asyncpg.Record) -> dict[str, object]:
    """The request row's account, in the shape audit.account_fields reads."""
    return {"id": row["account_id"], "branch_code": row["branch_code"], "account_type": row["account_type"],
            "account_number": row["account_number"]}
