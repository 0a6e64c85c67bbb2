"""Screen ⑤, キャッシュカード暗証番号認証: the 4-digit cash-card PIN.

A wrong PIN is B87; the failure that reaches the day's limit engages the PIN
lock (B88), which stops API linkage only; an attempt on a locked account is B84.
The PIN is verified in the slow-hash pool, never on the event loop, and never logged.
"""

from __future__ import annotations

from starlette.responses import Response

from server.flow import fields
from server.flow.attempts import guarded_attempt, wrong_guess
from server.flow.throttling import throttled
from server.flow.visit import Visit
from server.policy.locks import LockKind


async def _page(visit: Visit, **context):  # type: ignore[no-untyped-def]
    return visit.render("flow/pin.html", account_label=visit.account_label(), **context)


async def show(visit: Visit) -> Response:
    return await _page(visit)


async def submit(visit: Visit, form: dict[str, str]) -> Response:
    parsed = fields.parse_pin(form)
    if not parsed.ok:
        await visit.log("failure", detail={"invalid": sorted(parsed.errors)})
        return await _page(visit, status=400, errors=parsed.errors)
    account = visit.account

    async def pin_matches() -> bool:
        return await visit.runtime.slow_hash.verify_pin(parsed.values["pin"], account["pin_hash"], account["pin_pepper_id"])

    attempt = await throttled(visit, lambda: guarded_attempt(
        visit.conn, account_id=account["id"], kind=LockKind.PIN,
        limit=visit.settings.policy.pin_failures_before_lock, now=visit.now, verify=pin_matches,
    ), wrong_guess=wrong_guess)
    if isinstance(attempt, Response):
        return attempt
    if attempt.passed:
        return await visit.pass_screen()
    if attempt.stops_flow:
        return await visit.stop(attempt.reason)
    await visit.log("failure", reason=attempt.reason)
    return await _page(visit, status=attempt.reason.status, reason=attempt.reason, tries_left=attempt.tries_left)
