"""Customer screens turned away before their handler ran (S01, S03), written to the operation log.

Head office counts a reason code each time a screen showed it (contract §12),
from the operation log; these pages are shown by the maintenance gate and the
error handler, which no screen's own logging reaches. One INSERT per page,
naming the flow behind the browser's cookie when there is one (so the line
falls in that flow's branch and app). Writing it never changes the page: a
failed write is a warning line. An S03 because PostgreSQL could not be reached
is not written (nothing can be): renkei_database_unreachable_total counts it.
"""

from __future__ import annotations

from starlette.requests import Request

from server.db import oplog
from server.logs import get_logger
from server.reasons import Reason
from server.web.cookies import flow_cookie_digest
from server.web.database import connection
from server.web.paths import AUTHORIZE_PATH, LEAVE_PATH, is_customer_flow, is_event_stream

log = get_logger(__name__)

EVENTS = {Reason.S01: "flow:closed", Reason.S03: "flow:error"}
# A refused line waits no longer than this for PostgreSQL: the page goes out regardless.
WRITE_TIMEOUT_SECONDS = 2.0


def is_recorded(path: str) -> bool:
    """The customer's screens and /authorize; not the wait screen's event stream, which no one sees."""
    return (is_customer_flow(path) or path == LEAVE_PATH) and not is_event_stream(path)


def refusal_entry(request: Request, reason: Reason, request_id: str | None) -> oplog.Entry:
    """The line, as far as the request tells it; the flow behind the cookie adds the rest in SQL."""
    path = request.url.path
    named_client = request.query_params.get("client_id", "")[:200] if path == AUTHORIZE_PATH else None
    detail = {"path": path} | ({"request_id": request_id} if request_id else {})
    return oplog.Entry(
        at=request.app.state.runtime.clock.now(), event=EVENTS[reason], outcome="failure", reason_code=reason.value,
        client_id=named_client or None, ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"), detail=detail,
    )


async def record_refusal(request: Request, reason: Reason, *, request_id: str | None = None) -> None:
    """Write the line of an S01 or S03 page shown on a customer screen; never raises."""
    if not is_recorded(request.url.path):
        return
    try:
        entry = refusal_entry(request, reason, request_id)
        async with connection(request.app.state.runtime) as conn:
            await oplog.append_refusal(conn, entry, cookie_digest=flow_cookie_digest(request), timeout=WRITE_TIMEOUT_SECONDS)
    except Exception as error:  # the page matters more than its line
        log.warning("oplog.refusal_not_written", reason_code=reason.value, path=request.url.path,
                    request_id=request_id, error=type(error).__name__)
