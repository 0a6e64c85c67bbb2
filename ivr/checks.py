"""Phone checks as screen ④ uses them: open one, ask how it stands, wait for the call.

A phone check is one displayed auth number waiting for a call from one of the
customer's registered numbers within ``settings.policy.phone_check_seconds``
(contract §2). The webhook (ivr.webhook) is what marks it matched.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg

from server.db import phone_checks
from server.settings import Settings

if TYPE_CHECKING:
    from server.runtime import Runtime

MATCHED, WAITING, EXPIRED, NONE = "matched", "waiting", "expired", "none"

_random = secrets.SystemRandom()


@dataclass(frozen=True)
class PhoneCheck:
    id: int
    auth_number: str  # E.164, as the page's data-auth-number
    expires_at: datetime
    state: str


def draw_auth_number(pool: Sequence[str], busy: Collection[str]) -> str:
    """A number from the pool at random (cryptographic source), avoiding ``busy`` ones while any is free.

    A busy number already waits for a call from one of these phones: showing it
    again would leave one call matching two checks.
    """
    free = [number for number in pool if number not in busy]
    return _random.choice(free or list(pool))


async def start_phone_check(
    conn: asyncpg.Connection, *, flow_id: UUID, account_id: int, caller_phones: list[str], now: datetime, settings: Settings,
    draw_cap: int | None = None,
) -> PhoneCheck | None:
    """Open the check screen ④ shows, voiding the account's older pending checks (contract §2).

    One transaction: the advisory locks make a second attempt of the same
    account, or of anyone sharing a phone, wait until this one has chosen its number.
    With ``draw_cap``, the flow's count of drawn numbers goes up by one in the same
    transaction, and None means the flow has drawn ``draw_cap`` already.
    """
    async with conn.transaction():
        if draw_cap is not None and not await phone_checks.count_draw(conn, flow_id, draw_cap):
            return None
        await phone_checks.lock_for_new_check(conn, account_id, caller_phones)
        await phone_checks.void_open_checks_of_account(conn, account_id)
        busy = await phone_checks.numbers_waiting_for(conn, caller_phones, now)
        row = await phone_checks.insert_open_check(
            conn,
            flow_id=flow_id,
            account_id=account_id,
            auth_number=draw_auth_number(settings.ivr.auth_numbers, busy),
            caller_phones=caller_phones,
            shown_at=now,
            expires_at=now + timedelta(seconds=settings.policy.phone_check_seconds),
        )
    return PhoneCheck(id=row["id"], auth_number=row["auth_number"], expires_at=row["expires_at"], state=row["state"])


def status_of(state: str | None, expires_at: datetime | None, now: datetime) -> str:
    """How a check in ``state`` with deadline ``expires_at`` stands at ``now`` (state None: no check)."""
    if state is None:
        return NONE
    if state == "matched":
        return MATCHED
    if state == "open" and expires_at is not None and now < expires_at:
        return WAITING
    return EXPIRED


def _status_of_check(check: asyncpg.Record | None, now: datetime) -> str:
    return status_of(check["state"], check["expires_at"], now) if check else NONE


async def phone_check_status(conn: asyncpg.Connection | asyncpg.Pool, flow_id: UUID, now: datetime) -> str:
    """How the flow's newest check stands: "matched", "waiting", "expired" (past its deadline, or void) or "none"."""
    return _status_of_check(await phone_checks.newest_check_of_flow(conn, flow_id), now)


@dataclass(frozen=True)
class CallNews:
    """How the flow's check stands, and the last call to its number that could not count."""

    status: str
    expires_at: datetime | None = None
    refused_call: str | None = None  # "unregistered" or "withheld"
    refused_at: datetime | None = None

    @property
    def refusal(self) -> tuple[str | None, datetime | None]:
        """The last refused call, as the screen last heard of it (kind and time)."""
        return self.refused_call, self.refused_at


def _news(check: asyncpg.Record | None, now: datetime) -> CallNews:
    if check is None:
        return CallNews(NONE)
    return CallNews(_status_of_check(check, now), check["expires_at"], check["refused_call"], check["refused_at"])


async def watch_phone_check(runtime: Runtime, flow_id: UUID, timeout_seconds: float, *,
                            refusal_seen: tuple[str | None, datetime | None] = (None, None)) -> CallNews:
    """The flow's news as soon as it is no longer "waiting", or a call newer than ``refusal_seen``
    was refused; else after ``timeout_seconds``.

    Subscribes before reading, so a call landing in between is not missed;
    works whichever server process the call reached. Never waits past the
    check's deadline.
    """
    async with runtime.extras["wakeup"].subscribe(flow_id) as waiter:
        now = runtime.clock.now()
        news = _news(await phone_checks.newest_check_of_flow(runtime.pool, flow_id), now)
        if news.status != WAITING or news.refusal != refusal_seen:
            return news
        assert news.expires_at is not None
        await waiter.wait(min(timeout_seconds, (news.expires_at - now).total_seconds()))
    return _news(await phone_checks.newest_check_of_flow(runtime.pool, flow_id), runtime.clock.now())
