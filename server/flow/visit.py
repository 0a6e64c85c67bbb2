"""One request on one screen: the flow behind the cookie, checked before any handler runs.

Every screen goes through ``open_visit``: a flow must exist, be unfinished and
not idle too long; a POST must carry the flow's CSRF token; the screen must be
one the stages table lets this customer see; and an account that is locked
stops here, whatever the screen (B84).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from server.db import flows, oplog
from server.flow import stages
from server.flow.labels import masked_account_label
from server.flow.stages import STAGES, Stage
from server.logs import get_logger
from server.metrics import FLOW_STEPS
from server.reasons import Reason
from server.runtime import Runtime
from server.web.cookies import flow_cookie_digest
from server.web.csrf import csrf_token, csrf_token_valid
from server.web.database import connection
from server.web.forms import read_form
from server.web.i18n import chosen_language
from server.web.pages import Notice, notice_page, what_to_do
from server.web.paths import is_event_stream
from server.web.security import form_action_source
from server.web.templates import gettext_for, render

log = get_logger("renkei.flow")


@dataclass
class Visit:
    request: Request
    runtime: Runtime
    conn: asyncpg.Connection
    flow: asyncpg.Record
    stage: Stage
    lang: str
    now: datetime

    @property
    def settings(self):  # type: ignore[no-untyped-def]
        return self.runtime.settings

    @property
    def account(self) -> asyncpg.Record:
        """The account chosen on screen ① (every screen after ① has one), read with the flow."""
        return self.flow["account"]

    @property
    def phone_check(self) -> asyncpg.Record | None:
        """The flow's newest phone check, read with the flow: the auth number screen ④ shows and its deadline."""
        return self.flow["phone_check"]

    def account_label(self) -> str:
        """The flow's account as the screens show it: 001 普通 ***4567."""
        return masked_account_label(self.account, gettext_for(self.lang))

    def render(self, template: str, *, status: int = 200, reason: Reason | None = None,
               form_action: Iterable[str] = (), **context: Any) -> HTMLResponse:
        other = "en" if self.lang == "ja" else "ja"
        context.setdefault("errors", {})
        context.setdefault("values", {})
        return render(
            self.settings, template, lang=self.lang, status=status, form_action=form_action,
            reason=reason.value if reason else None, csrf_token=csrf_token(self.settings.secrets.session_key, self.flow["id"]),
            stages=STAGES, current=self.stage, step_number=stages.index(self.stage.name) + 1, app_name=self.flow["client_name"],
            app_operator=self.flow["client_operator"], switch_lang_url=f"{self.stage.path}?lang={other}", **context,
        )

    def go_to(self, stage_name: str) -> RedirectResponse:
        return RedirectResponse(stages.stage(stage_name).path, status_code=303)

    def entry(self, outcome: str, *, reason: Reason | None = None, account: Any = ..., account_masked: str | None = None,
              event: str | None = None, name_kana: str | None = None, detail: dict[str, Any] | None = None) -> oplog.Entry:
        """One line of the operation log for this attempt.

        ``account`` defaults to the flow's account; screen ① passes what was typed instead.
        """
        if account is ...:
            account = self.account
        if account is not None:
            account_masked = oplog.mask_account(account["branch_code"], account["account_type"], account["account_number"])
        return oplog.Entry(
            at=self.now, event=event or f"flow:{self.stage.name}:{outcome}", outcome=outcome,
            reason_code=reason.value if reason else None, account_id=account["id"] if account is not None else None,
            account_masked=account_masked, name_kana=name_kana or self.flow["name_kana"], client_id=self.flow["client_id"],
            flow_id=self.flow["id"], ip=self.request.client.host if self.request.client else None,
            user_agent=self.request.headers.get("user-agent"), detail=detail or {},
        )

    def counted(self, entry: oplog.Entry) -> None:
        """The metric and the (masked) process-log line of a logged attempt."""
        FLOW_STEPS.labels(step=self.stage.name, outcome=entry.outcome, reason=entry.reason_code or "").inc()
        log.info("flow.attempt", event_name=entry.event, reason_code=entry.reason_code, account=entry.account_masked)

    async def log(self, outcome: str, **line: Any) -> None:
        """Log this attempt (arguments as for ``entry``)."""
        entry = self.entry(outcome, **line)
        await oplog.append(self.conn, entry)
        self.counted(entry)

    async def pass_screen(self, *, chosen_account: asyncpg.Record | None = None, name_kana: str | None = None,
                          email: str | None = None, detail: dict[str, Any] | None = None) -> RedirectResponse:
        """This screen is passed: on to the next, logged as a success in the same statement."""
        following = stages.after(self.stage.name)
        entry = self.entry("success", account=self.account if chosen_account is None else chosen_account, name_kana=name_kana, detail=detail)
        await flows.pass_screen(self.conn, self.flow["id"], step=following.name, now=self.now, log=entry,
                                account_id=chosen_account["id"] if chosen_account else None, name_kana=name_kana, email=email)
        self.counted(entry)
        return self.go_to(following.name)

    async def stop(self, reason: Reason, **line: Any) -> HTMLResponse:
        """End the flow on a reason that allows no retry today (B83, B84, B88), logged as a failure (``line`` as for ``entry``)."""
        entry = self.entry("failure", reason=reason, **line)
        await flows.end_flow(self.conn, self.flow["id"], "failed", now=self.now, log=entry, log_if_already_ended=True)
        self.counted(entry)
        return self.reason_page(reason)

    def reason_page(self, reason: Reason) -> HTMLResponse:
        """A lock or limit page (B83, B84, B88, S02) whose アプリに戻る goes straight back to the app."""
        source = form_action_source(self.flow["redirect_uri"])
        return self.render("reason.html", status=reason.status, reason=reason, next_url=None, reopens_at=None, request_id=None,
                           form_action=[source] if source else [], leave="redirect", **what_to_do(self.settings, reason, self.now))


Handler = Callable[..., Awaitable[Response]]


def screen_endpoint(stage_name: str, *, show: Handler | None = None, submit: Handler | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint of one screen: open the visit, then ``show`` (GET) or ``submit`` (POST)."""
    stage = stages.stage(stage_name)

    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        form = await read_form(request) if request.method == "POST" else None
        async with connection(runtime) as conn:
            visit = await open_visit(request, runtime, conn, stage, form)
            if isinstance(visit, Response):
                return visit
            if form is None:
                assert show is not None
                return await show(visit)
            assert submit is not None
            return await submit(visit, form)

    return endpoint


async def open_visit(request: Request, runtime: Runtime, conn: asyncpg.Connection, stage: Stage,
                     form: dict[str, str] | None) -> Visit | Response:
    now, idle = runtime.clock.now(), timedelta(seconds=runtime.settings.policy.flow_idle_seconds)
    digest = flow_cookie_digest(request)
    asked_lang = chosen_language(request.query_params.get("lang"))
    # The flow is seen (last_seen_at) where the checks below let the request through, bar the CSRF token's.
    flow = await flows.visit_by_cookie(conn, digest, now=now, lang=asked_lang, idle=idle,
                                       touch_at_steps=stages.visited_from(stage.name)) if digest else None
    if flow is None:
        return notice_page(request, Notice.NO_FLOW, status=400)
    # Every line this request logs from here on names the flow, so an operator can follow one customer.
    structlog.contextvars.bind_contextvars(flow_id=str(flow["id"]))
    lang = asked_lang or flow["lang"]
    if flow["finished_at"] is not None:
        if flow["outcome"] == "failed" and flow["account_locked"]:
            # The lock page again (in the other language, say), its アプリに戻る still working; counted as
            # shown (contract §12), but not for the wait screen's event stream, which no one sees.
            locked = Visit(request, runtime, conn, flow, stage, lang, now)
            if not is_event_stream(request.url.path):
                await locked.log("failure", reason=Reason.B84, detail={"shown": "again"})
            return locked.reason_page(Reason.B84)
        notice = Notice.FLOW_EXPIRED if flow["outcome"] == "expired" else Notice.FLOW_FINISHED
        return notice_page(request, notice, status=410, lang=lang)
    visit = Visit(request, runtime, conn, flow, stage, lang, now)
    if now - flow["last_seen_at"] > idle:
        return await _expire(visit)
    if form is not None and not csrf_token_valid(runtime.settings.secrets.session_keys, flow["id"], form.get("csrf_token")):
        await visit.log("failure", detail={"problem": "csrf"})
        return notice_page(request, Notice.BAD_FORM, status=403, lang=lang)
    if not stages.may_visit(flow["step"], stage.name):
        if form is not None:
            await visit.log("info", detail={"problem": "out of order", "step": flow["step"]})
        return visit.go_to(flow["step"])
    if flow["account_locked"] and stage.name != stages.FIRST.name:
        return await visit.stop(Reason.B84)
    return visit


async def _expire(visit: Visit) -> Response:
    expired = visit.entry("info", event="flow:expired")
    await flows.end_flow(visit.conn, visit.flow["id"], "expired", now=visit.now, log=expired, log_if_already_ended=True)
    visit.counted(expired)
    return notice_page(visit.request, Notice.FLOW_EXPIRED, status=410, lang=visit.lang)
