"""Fixtures for the IVR tests: a customer waiting on screen ④, and a phone to call with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import httpx
import pytest

from ivr.checks import PhoneCheck, start_phone_check
from ivr.simulate import simulate_call
from server.clock import FrozenClock
from server.settings import Settings
from tests.ivr import factories

TARO = "+819012345678"  # registered
HANAKO_LANDLINE, HANAKO_MOBILE = "+81524510000", "+818022223333"
STRANGER = "+817033334444"  # registered to no one


@dataclass(frozen=True)
class Waiting:
    """A customer on screen ④: their flow, account and the check it shows."""

    flow_id: UUID
    account_id: int
    check: PhoneCheck


OpenCheck = Callable[..., Awaitable[Waiting]]


@pytest.fixture
def open_check(db: asyncpg.Pool, clock: FrozenClock, settings: Settings) -> OpenCheck:
    """Show screen ④ to a customer with ``phones`` (a new account unless ``account_id`` is given)."""

    async def open_(phones: list[str], *, account_id: int | None = None, with_settings: Settings | None = None) -> Waiting:
        await factories.create_client(db)
        account_id = account_id or await factories.create_account(db, phones)
        flow_id = await factories.create_flow(db, account_id, clock.now())
        async with db.acquire() as conn:
            check = await start_phone_check(
                conn, flow_id=flow_id, account_id=account_id, caller_phones=phones, now=clock.now(),
                settings=with_settings or settings,
            )
        return Waiting(flow_id, account_id, check)

    return open_


Ring = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def ring() -> Ring:
    """Call ``to`` from ``from_`` on ``server``: its webhook, signed as Twilio signs it."""

    async def ring_(server, from_: str, to: str, call_sid: str | None = None) -> httpx.Response:  # type: ignore[no-untyped-def]
        settings = server.runtime.settings
        return await simulate_call(settings.public_url, settings.ivr.twilio_auth_token, from_, to, call_sid)

    return ring_
