"""The screens that check what the customer knows (①, ②, ⑤) under the throttles of server.policy.throttles.

Before the check, the attempt takes a place in the current slice of its IP
address and of its app (one atomic statement each); when the window ending now
is full for either, the customer sees S02 with Retry-After (until the oldest
slices stop counting), and nothing is checked. After the check the places are
given back unless the attempt was a wrong guess, so only failures count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from starlette.responses import Response

from server.db import throttles
from server.flow.visit import Visit
from server.logs import get_logger
from server.policy.throttles import Rule, Scope, Verdict, Window, address_key, counted_from, decide, slice_at
from server.reasons import Reason
from server.settings import Settings

log = get_logger("renkei.throttle")

T = TypeVar("T")


def rules(settings: Settings) -> tuple[Rule, ...]:
    t = settings.throttle
    return (Rule(Scope.IP, t.ip_failures, t.ip_window_seconds), Rule(Scope.CLIENT, t.client_failures, t.client_window_seconds))


@dataclass
class Places:
    """The places one attempt holds (rule, key, slice), and the rule and key that were full if it could not get them all."""

    held: list[tuple[Rule, str, Window]] = field(default_factory=list)
    full: tuple[Rule, str] | None = None

    async def give_back(self, conn: asyncpg.Connection) -> None:
        for rule, key, window in self.held:
            await throttles.give_place_back(conn, rule.scope.value, key, starts_at=window.starts_at)
        self.held.clear()


def _key(visit: Visit, scope: Scope) -> str:
    if scope is Scope.IP:
        return address_key(visit.request.client.host if visit.request.client else None)
    return visit.flow["client_id"]


async def take_places(visit: Visit) -> Places:
    places = Places()
    for rule in rules(visit.settings):
        key, current = _key(visit, rule.scope), slice_at(visit.now, rule)
        taken = await throttles.take_place(visit.conn, rule.scope.value, key, starts_at=current.starts_at,
                                           ends_at=current.ends_at, counted_from=counted_from(visit.now, rule),
                                           limit=rule.limit)
        if taken is None:
            await places.give_back(visit.conn)
            places.full = (rule, key)
            return places
        places.held.append((rule, key, current))
    return places


async def throttled(visit: Visit, check: Callable[[], Awaitable[T]], *, wrong_guess: Callable[[T], bool]) -> T | Response:
    """``check()`` if the throttles allow it, else the S02 page; a right answer is not counted."""
    places = await take_places(visit)
    if places.full is not None:
        return await busy(visit, *places.full)
    outcome = await check()
    if not wrong_guess(outcome):
        await places.give_back(visit.conn)
    return outcome


async def busy(visit: Visit, rule: Rule, key: str) -> Response:
    """S02, as for any overload: the customer may try again once enough old failures stop counting."""
    verdict = await _verdict(visit, rule, key)
    retry_after = max(1, verdict.retry_after)  # places given back since the refusal only bring the time nearer
    log.warning("throttle.refused", scope=rule.scope.value, limit=rule.limit, window_seconds=rule.window_seconds,
                failures=verdict.counted, retry_after=retry_after, stage=visit.stage.name)
    await visit.log("failure", reason=Reason.S02, detail={"throttle": rule.scope.value})
    response = visit.reason_page(Reason.S02)
    response.headers["Retry-After"] = str(retry_after)
    return response


async def _verdict(visit: Visit, rule: Rule, key: str) -> Verdict:
    """The slices read again after the refusal, as the policy sees them."""
    failures = await throttles.failures_by_slice(visit.conn, rule.scope.value, key,
                                                 counted_from=counted_from(visit.now, rule))
    return decide(rule, visit.now, failures)
