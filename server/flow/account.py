"""Screen ①, ご利用口座情報入力: branch, account type and account number.

The account must exist, be of a linkable type with a cash card and be active
(else B81); a moved account says where it went (B89); a locked one stops (B84).
"""

from __future__ import annotations

import asyncpg
from starlette.responses import Response

from server.db import accounts
from server.db.oplog import mask_account
from server.flow import fields
from server.flow.labels import ACCOUNT_TYPE_NAMES, account_type_name
from server.flow.throttling import throttled
from server.flow.visit import Visit
from server.reasons import Reason

ACCOUNT_TYPES = [(str(number), name) for number, name in ACCOUNT_TYPE_NAMES.items()]


def eligibility(account: asyncpg.Record | None, linkable_types: tuple[int, ...]) -> Reason | None:
    """None when the account may be linked, else why not."""
    if account is None:
        return Reason.B81
    if account["status"] == "moved":
        return Reason.B89
    if account["account_type"] not in linkable_types or not account["cash_card"] or account["status"] != "active":
        return Reason.B81
    return None


def moved_to(account: asyncpg.Record) -> dict[str, str]:
    branch_code, account_type, account_number = account["moved_to"].split("-")
    return {"branch_code": branch_code, "type_name": account_type_name(int(account_type)), "account_number": account_number}


async def show(visit: Visit) -> Response:
    return visit.render("flow/account.html", account_types=ACCOUNT_TYPES, moved_to=None)


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    parsed = fields.parse_account(form)
    if not parsed.ok:
        await visit.log("failure", detail={"invalid": sorted(parsed.errors)})
        return visit.render("flow/account.html", status=400, errors=parsed.errors, values=parsed.entered,
                            account_types=ACCOUNT_TYPES, moved_to=None)
    branch_code, account_type, number = (parsed.values[k] for k in ("branch_code", "account_type", "account_number"))

    async def look_up() -> tuple[asyncpg.Record | None, Reason | None]:
        found = await accounts.account_to_link(visit.conn, branch_code, account_type, number, now=visit.now)
        return found, eligibility(found, visit.settings.policy.linkable_account_types)

    # A refused account number counts as a wrong guess: it limits probing which accounts exist.
    looked_up = await throttled(visit, look_up, wrong_guess=lambda answer: answer[1] is not None)
    if isinstance(looked_up, Response):
        return looked_up
    account, reason = looked_up
    if reason is not None:
        await visit.log("failure", reason=reason, account=account, account_masked=mask_account(branch_code, account_type, number))
        return visit.render("flow/account.html", status=reason.status, reason=reason, values=parsed.entered,
                            account_types=ACCOUNT_TYPES, moved_to=moved_to(account) if reason is Reason.B89 else None)
    if account["locked"]:
        return await visit.stop(Reason.B84, account=account)
    return await visit.pass_screen(chosen_account=account)
