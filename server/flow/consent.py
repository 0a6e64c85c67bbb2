"""Screen ⑥, 情報連携認可: the app, its operator, the scopes and the masked account; approve or refuse.

Approval is one transaction: the grant, the authorization code, the completion
notice e-mail and the end of the flow are committed together or not at all.
The flow row is locked first, so a double submit creates one grant, not two.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from server.db import flows, grants
from server.flow.visit import Visit
from server.mail.notice import enqueue_completion_notice
from server.oauth.authorize import client_redirect
from server.oauth.scopes import describe
from server.web.pages import Notice, notice_page
from server.web.security import form_action_source
from server.web.templates import gettext_for


async def show(visit: Visit, *, status: int = 200) -> Response:
    _ = gettext_for(visit.lang)
    source = form_action_source(visit.flow["redirect_uri"])
    return visit.render(
        "flow/consent.html", status=status, form_action=[source] if source else [],
        account_label=visit.account_label(),
        scopes=[describe(scope, _) for scope in visit.flow["scopes"]],
        grant_days=visit.settings.policy.grant_max_days,
    )


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    decision = form.get("decision")
    if decision == "approve":
        return await _approve(visit)
    if decision == "deny":
        return await _deny(visit)
    await visit.log("failure", detail={"invalid": ["decision"]})
    return await show(visit, status=400)


async def _approve(visit: Visit) -> Response:
    flow, settings, now = visit.flow, visit.settings, visit.now
    async with visit.conn.transaction():
        if await flows.open_flow_for_update(visit.conn, flow["id"]) is None:
            return notice_page(visit.request, Notice.FLOW_FINISHED, status=410, lang=visit.lang)
        grant_id = await grants.create_grant(
            visit.conn, client_id=flow["client_id"], account_id=flow["account_id"], scopes=list(flow["scopes"]),
            dpop_jkt=flow["dpop_jkt"], now=now, max_days=settings.policy.grant_max_days,
        )
        code = await grants.create_authorization_code(
            visit.conn, grant_id=grant_id, client_id=flow["client_id"], redirect_uri=flow["redirect_uri"],
            code_challenge=flow["code_challenge"], dpop_jkt=flow["dpop_jkt"], now=now,
            lifetime_seconds=settings.policy.authorization_code_seconds,
        )
        await enqueue_completion_notice(visit.conn, to_address=flow["email"], app_name=flow["client_name"],
                                        completed_at=now, lang=visit.lang, bank=settings.bank)
        approved = visit.entry("success", event="flow:consent:approve", detail={"grant_id": str(grant_id)})
        await flows.end_flow(visit.conn, flow["id"], "approved", now=now, log=approved)
    visit.counted(approved)
    return _back_to_app(visit, {"code": code})


async def _deny(visit: Visit) -> Response:
    denied = visit.entry("info", event="flow:consent:deny")
    if not await flows.end_flow(visit.conn, visit.flow["id"], "denied", now=visit.now, log=denied):
        return notice_page(visit.request, Notice.FLOW_FINISHED, status=410, lang=visit.lang)
    visit.counted(denied)
    return _back_to_app(visit, {"error": "access_denied", "error_description": "the customer did not allow the link"})


def _back_to_app(visit: Visit, params: dict[str, str]) -> RedirectResponse:
    flow = visit.flow
    return client_redirect(flow["redirect_uri"], params, state=flow["state"], issuer=visit.settings.issuer, status=303)
