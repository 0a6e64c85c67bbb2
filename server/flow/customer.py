"""Screen ②, お客様情報入力: birth date (checked), kana name (logged only), e-mail (for the notice).

A wrong birth date is B82; the failure that reaches the day's limit engages
the identity lock (B83); an attempt on a locked account is B84.
"""

from __future__ import annotations

from starlette.responses import Response

from server.flow import fields
from server.flow.attempts import guarded_attempt, wrong_guess
from server.flow.throttling import throttled
from server.flow.visit import Visit
from server.policy.locks import LockKind


async def _page(visit: Visit, **context):  # type: ignore[no-untyped-def]
    return visit.render("flow/customer.html", account_label=visit.account_label(), **context)


async def show(visit: Visit) -> Response:
    return await _page(visit)


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    parsed = fields.parse_customer(form, visit.now.date())
    kana = parsed.values.get("name_kana")
    if not parsed.ok:
        await visit.log("failure", name_kana=kana, detail={"invalid": sorted(parsed.errors)})
        return await _page(visit, status=400, errors=parsed.errors, values=parsed.entered)
    account = visit.account

    async def birth_date_matches() -> bool:
        return parsed.values["birth_date"] == account["birth_date"]

    attempt = await throttled(visit, lambda: guarded_attempt(
        visit.conn, account_id=account["id"], kind=LockKind.IDENTITY,
        limit=visit.settings.policy.identity_failures_before_lock, now=visit.now, verify=birth_date_matches,
    ), wrong_guess=wrong_guess)
    if isinstance(attempt, Response):
        return attempt
    if attempt.passed:
        return await visit.pass_screen(name_kana=kana, email=parsed.values["email"])
    if attempt.stops_flow:
        return await visit.stop(attempt.reason, name_kana=kana)
    await visit.log("failure", reason=attempt.reason, name_kana=kana)
    values = {k: v for k, v in parsed.entered.items() if k != "birth_date"}
    return await _page(visit, status=attempt.reason.status, reason=attempt.reason, values=values,
                       tries_left=attempt.tries_left)
