"""Screen ④, 電話番号認証: the auth number, its countdown, 確定する, and the wait screen's event stream.

確定する after the call matched → ⑤; before it → B86 (press again). A call that
cannot count (from a number not registered, or withheld) is said on the screen
at once (``data-call-status``). After the deadline the same screen offers
新しい番号を表示する: a new number and another 120 s in the same flow, up to
``[policy] phone_number_draws`` numbers; past that, B85 and the flow starts
again from ①. With JavaScript the page listens to /flow/phone/events and moves
on by itself the moment the call matches, on whichever server process it arrived.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse

from ivr.checks import EXPIRED, MATCHED, NONE, WAITING, PhoneCheck, start_phone_check, status_of, watch_phone_check
from ivr.simulate import simulate_call
from server.clock import TOKYO
from server.db import flows
from server.flow import stages
from server.flow.labels import dialling_form
from server.flow.visit import Visit
from server.reasons import Reason
from server.runtime import Runtime
from server.web.pages import Notice, notice_page

# The event stream re-reads the check at least this often (and sends a keep-alive).
WAIT_SLICE_SECONDS = 10.0
NEW_NUMBER_PATH = "/flow/phone/call/new"


def _status(visit: Visit) -> str:
    check = visit.phone_check
    return status_of(check["state"], check["expires_at"], visit.now) if check else NONE


def _draws_left(visit: Visit) -> int:
    return max(0, visit.settings.policy.phone_number_draws - visit.flow["number_draws"])


async def show(visit: Visit) -> Response:
    if _status(visit) == NONE or (_status(visit) == EXPIRED and not _draws_left(visit)):
        return await restart(visit)
    return _page(visit, visit.phone_check)


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    status = _status(visit)
    if status == MATCHED:
        return await visit.pass_screen()
    if status == WAITING:
        await visit.log("info", reason=Reason.B86)
        return _page(visit, visit.phone_check, reason=Reason.B86)
    return visit.go_to("call")  # expired: the screen offers a new number (or starts again)


def _page(visit: Visit, check, *, reason: Reason | None = None) -> Response:  # type: ignore[no-untyped-def]
    expires_at = check["expires_at"].astimezone(TOKYO)
    expired = _status(visit) == EXPIRED
    return visit.render(
        "flow/call.html", status=200, reason=reason,
        auth_number=check["auth_number"], auth_number_display=dialling_form(check["auth_number"]),
        expires_at=expires_at.isoformat(), expires_at_display=expires_at.strftime("%H:%M:%S"),
        seconds_left=max(0, math.ceil((expires_at - visit.now).total_seconds())),
        call_status="expired" if expired else (check["refused_call"] or "waiting"),
        draws_left=_draws_left(visit), simulate=not visit.settings.production,
    )


async def draw_number(visit: Visit) -> PhoneCheck | None:
    """A new auth number for this flow (the old one void), or None once the flow has drawn its share."""
    account = visit.account
    return await start_phone_check(
        visit.conn, flow_id=visit.flow["id"], account_id=account["id"], caller_phones=list(account["phones"]),
        now=visit.now, settings=visit.settings, draw_cap=visit.settings.policy.phone_number_draws,
    )


async def new_number(visit: Visit, form: dict[str, str]) -> Response:
    """新しい番号を表示する: only once the shown number has expired (a waiting one stays as it is)."""
    if _status(visit) != EXPIRED:
        return visit.go_to("call")
    check = await draw_number(visit)
    if check is None:
        return await restart(visit)
    await visit.log("info", event="flow:call:new_number", detail={"phone_check_id": check.id})
    return visit.go_to("call")


async def restart(visit: Visit) -> Response:
    """B85: the 120 s passed and no new number may be drawn; back to ① (a new attempt may draw again)."""
    entry = visit.entry("failure", reason=Reason.B85)
    await flows.restart_flow(visit.conn, visit.flow["id"], step=stages.FIRST.name, now=visit.now, log=entry)
    visit.counted(entry)
    return visit.render("reason.html", status=Reason.B85.status, reason=Reason.B85,
                        next_url=stages.FIRST.path, reopens_at=None, request_id=None)


async def events(visit: Visit) -> Response:
    """Server-sent events: ``refused`` (each call that could not count), then ``matched`` or ``expired``.

    The database connection is given back before streaming: waiting costs a
    subscription to the wake-up hub, not a connection.
    """
    return StreamingResponse(
        _event_stream(visit.runtime, visit.flow["id"]),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _event_stream(runtime: Runtime, flow_id) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """Until the call matches or the check expires; a draining process tells the page to reconnect elsewhere."""
    yield "retry: 3000\n\n"
    seen: tuple = (None, None)
    while not runtime.lifecycle.draining:
        news = await watch_phone_check(runtime, flow_id, WAIT_SLICE_SECONDS, refusal_seen=seen)
        if news.status == MATCHED:
            yield "event: matched\ndata: {}\n\n"
            return
        if news.status != WAITING:
            yield "event: expired\ndata: {}\n\n"
            return
        if news.refusal != seen:
            seen = news.refusal
            yield f"event: refused\ndata: {json.dumps({'status': news.refused_call})}\n\n"
            continue
        yield ": waiting\n\n"
    yield "event: reconnect\ndata: {}\n\n"


async def simulate(visit: Visit, form: dict[str, str]) -> Response:
    """Development only: a correctly signed Twilio webhook, from the first registered number."""
    if visit.settings.production:
        return notice_page(visit.request, Notice.NOT_FOUND, status=404, lang=visit.lang)
    check = visit.phone_check
    if check is not None:
        account = visit.account
        await simulate_call(visit.settings.public_url, visit.settings.ivr.twilio_auth_token,
                            from_=account["phones"][0], to=check["auth_number"])
        await visit.log("info", event="flow:call:simulated")
    return visit.go_to("call")
