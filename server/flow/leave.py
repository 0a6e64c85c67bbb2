"""アプリに戻る on the lock and limit pages: end the authorization and tell the app why (RFC 6749 §4.1.2.1).

A flow that a lock ended (B83, B84, B88) goes back with ``access_denied``; a
flow still open when the service could not go on (S01, S02, S03) is ended here
and goes back with ``temporarily_unavailable``. Either way with ``state`` and
``iss``, once: the cookie is cleared, and an ended flow is never resumed.

Pages shown with the flow at hand allow the app's origin in CSP
``form-action`` and get the redirect at once (``then=redirect``); pages made
without it (maintenance, overload, system error) get a page with a link,
which CSP does not restrict. The form carries the flow's CSRF token when the
page had one; otherwise the browser's Origin must be ours (the cookie is
SameSite=Lax, so another site's form never carries it anyway).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.db import flows, oplog
from server.oauth.authorize import redirect_url
from server.web.cookies import clear_flow_cookie, flow_cookie_digest
from server.web.csrf import csrf_token_valid
from server.web.database import connection
from server.web.forms import read_form
from server.web.pages import Notice, notice_page, request_lang
from server.web.templates import render

DESCRIPTIONS = {
    "access_denied": "the customer cannot authenticate today (a lock is in force)",
    "temporarily_unavailable": "the service could not continue (maintenance, overload or a system error)",
}


async def leave(request: Request) -> Response:
    runtime = request.app.state.runtime
    settings, now = runtime.settings, runtime.clock.now()
    form = await read_form(request)
    digest = flow_cookie_digest(request)
    async with connection(runtime) as conn:
        flow = await flows.visit_by_cookie(conn, digest, now=now, lang=None, idle=timedelta(0), touch_at_steps=[]) if digest else None
        if flow is None:
            return notice_page(request, Notice.NO_FLOW, status=400)
        lang = flow["lang"]
        if not (csrf_token_valid(settings.secrets.session_keys, flow["id"], form.get("csrf_token")) or _same_origin(request, settings.public_url)):
            return notice_page(request, Notice.BAD_FORM, status=403, lang=lang)
        error = await _end(conn, request, flow, now, timedelta(seconds=settings.policy.flow_idle_seconds))
    if error is None:
        return notice_page(request, Notice.FLOW_FINISHED, status=410, lang=lang)
    back = redirect_url(flow["redirect_uri"], {"error": error, "error_description": DESCRIPTIONS[error]},
                        state=flow["state"], issuer=settings.issuer)
    response: Response = RedirectResponse(back, status_code=303)
    if form.get("then") != "redirect":
        response = render(settings, "left.html", lang=lang or request_lang(request), back_url=back)
    clear_flow_cookie(response, settings)
    return response


def _same_origin(request: Request, public_url: str) -> bool:
    origin = request.headers.get("origin")
    if origin:
        ours = urlsplit(public_url)
        return origin == f"{ours.scheme}://{ours.netloc}"
    return request.headers.get("sec-fetch-site") == "same-origin"


async def _end(conn: asyncpg.Connection, request: Request, flow: asyncpg.Record, now: datetime, idle: timedelta) -> str | None:
    """The error the app hears, ending the flow if it was open; None when there is nothing to tell."""
    if flow["finished_at"] is not None:
        if flow["outcome"] != "failed" or now - flow["finished_at"] > idle:
            return None
        await oplog.append(conn, _entry(request, flow, now, "access_denied"))
        return "access_denied"
    ended = await flows.end_flow(conn, flow["id"], "left", now=now, log=_entry(request, flow, now, "temporarily_unavailable"))
    return "temporarily_unavailable" if ended else None


def _entry(request: Request, flow: asyncpg.Record, now: datetime, error: str) -> oplog.Entry:
    account = flow["account"]
    return oplog.Entry(
        at=now, event="flow:leave", outcome="info", account_id=flow["account_id"], client_id=flow["client_id"],
        account_masked=oplog.mask_account(account["branch_code"], account["account_type"], account["account_number"]) if account else None,
        flow_id=flow["id"], name_kana=flow["name_kana"], ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"), detail={"error": error},
    )
