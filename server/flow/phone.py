"""Screen ③, 電話番号の確認: the registered numbers, masked; going on draws an auth number."""

from __future__ import annotations

from starlette.responses import Response

from ivr.checks import start_phone_check
from server.flow.labels import masked_phones
from server.flow.visit import Visit


async def show(visit: Visit) -> Response:
    account = visit.account
    return visit.render("flow/phone.html", phones=masked_phones(account["phones"]))


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    account = visit.account
    check = await start_phone_check(
        visit.conn, flow_id=visit.flow["id"], account_id=account["id"], caller_phones=list(account["phones"]),
        now=visit.now, settings=visit.settings,
    )
    return await visit.pass_screen(detail={"phone_check_id": check.id})
