"""The Voice webhook (contract §5): check the signature, match the call, answer it.

Twilio gives up after 15 s, so a call costs one transaction: record the CallSid
(a retry stops here and gets the first answer again), one indexed UPDATE that
matches, the operation log, and a NOTIFY that PostgreSQL delivers at commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ivr import twiml
from ivr.signature import signed_form
from server.db import ivr_calls, oplog, phone_checks
from server.logs import get_logger
from server.metrics import IVR_CALLS
from server.policy.phone_numbers import mask, parse_caller
from server.reasons import Reason
from server.runtime import Runtime
from server.web.database import Busy, connection, is_unreachable
from server.web.errors import log_outage

log = get_logger(__name__)

VOICE_PATH, STATUS_PATH = "/ivr/voice", "/ivr/status"
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_AUTH_NUMBER = re.compile(r"\+[0-9]{7,15}")
# CallStatus values of Twilio's status callback.
CALL_STATUSES = frozenset({"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"})
WITHHELD_MASK = "withheld"
# A call that cannot count, as screen ④ names it (data-call-status).
SCREEN_WORDS = {twiml.UNMATCHED: "unregistered", twiml.WITHHELD: "withheld"}


@dataclass(frozen=True)
class Call:
    call_sid: str
    auth_number: str  # To: the number dialled
    caller: str | None  # From as E.164; None when withheld or not a number
    caller_masked: str


def read_call(form: ImmutableMultiDict[str, str]) -> Call | None:
    call_sid, to = form.get("CallSid", "").strip(), form.get("To", "").strip()
    if not _CALL_SID.fullmatch(call_sid) or not _AUTH_NUMBER.fullmatch(to):
        return None
    caller = parse_caller(form.get("From"))
    return Call(call_sid, to, caller, mask(caller) if caller else WITHHELD_MASK)


def forbidden() -> Response:
    return PlainTextResponse("Forbidden", status_code=403)


async def voice(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    form = await signed_form(request, runtime.settings, VOICE_PATH)
    if form is None:
        return forbidden()
    call = read_call(form)
    if call is None:
        return PlainTextResponse("CallSid and To (E.164) are required", status_code=400)
    try:
        outcome = await settle(runtime, call)
    except Exception as exc:
        if not (is_unreachable(exc) or isinstance(exc, Busy)):
            raise
        # An error status would make Twilio play its own English message: tell the caller in Japanese instead.
        log_outage(VOICE_PATH, exc)
        return twiml.twiml_response(twiml.unavailable())
    document = twiml.answer(outcome, matched_call=runtime.settings.ivr.matched_call)
    return twiml.twiml_response(document)


async def settle(runtime: Runtime, call: Call) -> str:
    """The call's outcome, decided once per CallSid and recorded with it."""
    now = runtime.clock.now()
    async with connection(runtime) as conn, conn.transaction():
        claimed = await ivr_calls.claim_call(
            conn, call_sid=call.call_sid, auth_number=call.auth_number, caller_masked=call.caller_masked, received_at=now
        )
        if not claimed:
            log.info("ivr.call.retry", call_sid=call.call_sid)
            return await ivr_calls.outcome_of_call(conn, call.call_sid)
        outcome, check = await _match(conn, call, now)
        matched = check if outcome == twiml.MATCHED else None
        await ivr_calls.settle_call(conn, call.call_sid, outcome, matched["id"] if matched else None)
        await oplog.append(conn, _log_entry(call, outcome, check, now))
        if matched:
            await phone_checks.announce_match(conn, matched["flow_id"])
        elif outcome in SCREEN_WORDS:
            # The screens waiting on this number say at once what went wrong and what to do.
            await phone_checks.note_refused_call(conn, auth_number=call.auth_number, refused=SCREEN_WORDS[outcome], now=now)
    IVR_CALLS.labels(outcome=outcome).inc()
    log.info("ivr.call", outcome=outcome, caller=call.caller_masked, call_sid=call.call_sid,
             flow_id=str(check["flow_id"]) if check else None)
    return outcome


async def _match(conn: asyncpg.Connection, call: Call, now: datetime) -> tuple[str, asyncpg.Record | None]:
    """The outcome and the check it concerns: the one matched or, for a late call, the one it missed."""
    if call.caller is None:
        return twiml.WITHHELD, None
    check = await phone_checks.match_call(conn, auth_number=call.auth_number, caller=call.caller, call_sid=call.call_sid, now=now)
    if check:
        return twiml.MATCHED, check
    missed = await phone_checks.missed_deadline(conn, auth_number=call.auth_number, caller=call.caller, now=now)
    return (twiml.LATE, missed) if missed else (twiml.UNMATCHED, None)


def _log_entry(call: Call, outcome: str, check: asyncpg.Record | None, now: datetime) -> oplog.Entry:
    account = (
        {"account_id": check["account_id"], "flow_id": check["flow_id"],
         "account_masked": oplog.mask_account(check["branch_code"], check["account_type"], check["account_number"])}
        if check else {}
    )
    return oplog.Entry(
        at=now,
        event="ivr:call",
        outcome="success" if outcome == twiml.MATCHED else "failure",
        reason_code=Reason.B85.value if outcome == twiml.LATE else None,
        detail={"result": outcome, "caller": call.caller_masked, "auth_number": call.auth_number, "call_sid": call.call_sid},
        **account,
    )


async def status(request: Request) -> Response:
    """Twilio's status callback: how the call ended. An unknown CallSid changes nothing."""
    runtime: Runtime = request.app.state.runtime
    form = await signed_form(request, runtime.settings, STATUS_PATH)
    if form is None:
        return forbidden()
    call_sid, call_status = form.get("CallSid", "").strip(), form.get("CallStatus", "").strip()
    if _CALL_SID.fullmatch(call_sid) and call_status in CALL_STATUSES:
        await ivr_calls.record_final_status(runtime.pool, call_sid, call_status, runtime.clock.now())
    return PlainTextResponse("", status_code=200)
