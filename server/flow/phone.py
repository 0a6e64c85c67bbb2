"""Screen ③, 電話番号の確認: the registered numbers, masked; going on draws an auth number."""

from __future__ import annotations

from starlette.responses import Response

from server.flow.call import draw_number, restart
from server.flow.labels import masked_phones
from server.flow.visit import Visit


async def show(visit: Visit) -> Response:
    account = visit.account
    return visit.render("flow/phone.html", phones=masked_phones(account["phones"]))


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    check = await draw_number(visit)
    if check is None:  # this flow has drawn all the numbers it may
        return await restart(visit)
    return await visit.pass_screen(detail={"phone_check_id": check.id})
