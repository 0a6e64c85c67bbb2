"""Locks: counted atomically per account and Tokyo day, lifted at 00:00 Tokyo whatever the host's zone."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime

import asyncpg
import httpx
import pytest

from server.clock import TOKYO, FrozenClock
from server.db import locks
from server.flow.attempts import guarded_attempt
from server.policy.locks import LockKind
from tests.conftest import build_test_settings
from tests.flow.walk import Customer, create_account, create_client, csrf_of, reason_of

WRONG_BIRTH_DATE = "1980-04-02"
LATE_EVENING = datetime(2026, 11, 24, 23, 58, tzinfo=TOKYO)
JUST_BEFORE_MIDNIGHT = datetime(2026, 11, 24, 23, 59, 59, tzinfo=TOKYO)
AFTER_MIDNIGHT_WINDOW = datetime(2026, 11, 25, 0, 1, tzinfo=TOKYO)  # 00:00–00:01 is maintenance


@pytest.fixture
def new_york_host(monkeypatch):  # type: ignore[no-untyped-def]
    """The host's clock in another zone: Tokyo's midnight is New York's morning."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _lock_identity(customer: Customer, account) -> None:  # type: ignore[no-untyped-def]
    await customer.start()
    await customer.enter_account(account)
    for _ in range(3):
        await customer.enter_details(WRONG_BIRTH_DATE)
    assert reason_of(customer.page) == "B83"


async def _lock_pin(customer: Customer, account) -> None:  # type: ignore[no-untyped-def]
    await customer.start()
    await customer.through_phone(account)
    for pin in ("0000", "0001", "0002"):
        await customer.post("/flow/pin", {"pin": pin})
    assert reason_of(customer.page) == "B88"


@pytest.mark.parametrize("lock", [_lock_identity, _lock_pin], ids=["identity lock", "PIN lock"])
async def test_a_lock_holds_until_midnight_tokyo_and_lifts_then_on_a_host_in_new_york(
    new_york_host, customer: Customer, taro, clock: FrozenClock, db, lock
):
    clock.set(LATE_EVENING)
    await lock(customer, taro)
    clock.set(JUST_BEFORE_MIDNIGHT)
    await customer.start()
    await customer.enter_account(taro)
    assert reason_of(customer.page) == "B84"
    clock.set(AFTER_MIDNIGHT_WINDOW)
    await customer.start()
    await customer.enter_account(taro)
    assert reason_of(customer.page) is None and 'action="/flow/customer"' in customer.page
    await customer.enter_details(WRONG_BIRTH_DATE)
    assert reason_of(customer.page) == "B82"  # a fresh count on the new Tokyo day
    state = await locks.lock_state(db, taro.id, clock.now())
    assert state["identity"] == {"locked": False, "until": None, "failures": 1}
    assert state["pin"] == {"locked": False, "until": None, "failures": 0}


async def test_the_lock_state_reads_as_the_staff_api_shows_it(customer: Customer, taro, clock: FrozenClock, db):
    await _lock_identity(customer, taro)
    state = await locks.lock_state(db, taro.id, clock.now())
    assert state == {
        "identity": {"locked": True, "until": "2026-11-25T00:00:00+09:00", "failures": 3},
        "pin": {"locked": False, "until": None, "failures": 0},
    }


async def _many_customers_server(start_server, database_url):  # type: ignore[no-untyped-def]
    settings = build_test_settings(database_url)
    settings = replace(settings, database=replace(settings.database, pool_max=20, acquire_timeout_seconds=30))
    # The per-IP throttle would turn most of fifty parallel attempts away (tests/security/test_throttles.py);
    # here the account's own lock is under test.
    settings = replace(settings, throttle=replace(settings.throttle, ip_failures=1000, client_failures=1000))
    return await start_server(settings)


@pytest.mark.parametrize(
    ("screen", "field", "wrong", "failing", "engaged"),
    [("/flow/customer", "birth_date", WRONG_BIRTH_DATE, "B82", "B83"), ("/flow/pin", "pin", "9999", "B87", "B88")],
    ids=["birth date", "PIN"],
)
async def test_fifty_parallel_wrong_attempts_engage_the_lock_at_exactly_the_limit(
    start_server, database_url, db, screen, field, wrong, failing, engaged
):
    server = await _many_customers_server(start_server, database_url)
    await create_client(db)
    taro = await create_account(db, server.runtime.settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        if screen == "/flow/pin":
            await customer.through_phone(taro)
        else:
            await customer.enter_account(taro)
        form = {"csrf_token": csrf_of(customer.page), "name_kana": "ヤマダ タロウ", "email": "t@example.jp", field: wrong}
        answers = await asyncio.gather(*(http.post(screen, data=form) for _ in range(50)))
        codes = Counter(reason_of(a.text) or str(a.status_code) for a in answers)
        assert codes[failing] == 2 and codes[engaged] == 1, codes
        assert set(codes) <= {failing, engaged, "B84", "410"}, codes
        kind = "pin" if field == "pin" else "identity"
        assert await db.fetchval("SELECT failures FROM account_failure WHERE kind = $1", kind) == 3
        await customer.start()
        await customer.enter_account(taro)
        assert reason_of(customer.page) == "B84"


async def test_fifty_attempts_on_fifty_connections_count_exactly_to_the_limit(db, database_url, settings, clock):
    await create_client(db)
    taro = await create_account(db, settings)
    connections = [await asyncpg.connect(database_url) for _ in range(50)]

    async def wrong() -> bool:
        await asyncio.sleep(0)
        return False

    try:
        outcomes = await asyncio.gather(*(
            guarded_attempt(conn, account_id=taro.id, kind=LockKind.IDENTITY, limit=3, now=clock.now(), verify=wrong)
            for conn in connections
        ))
    finally:
        await asyncio.gather(*(conn.close() for conn in connections))
    reasons = Counter(outcome.reason.value for outcome in outcomes)
    assert reasons == {"B82": 2, "B83": 1, "B84": 47}
    assert not any(outcome.passed for outcome in outcomes)
    assert await db.fetchval("SELECT failures FROM account_failure") == 3


async def _lock_from_elsewhere(db, account_id: int, kind: LockKind, now) -> None:  # type: ignore[no-untyped-def]
    async def wrong() -> bool:
        return False

    async with db.acquire() as conn:
        for _ in range(3):
            await guarded_attempt(conn, account_id=account_id, kind=kind, limit=3, now=now, verify=wrong)


@pytest.mark.parametrize(
    ("reach", "screen"),
    [
        ("enter_account", "/flow/customer"),
        ("through_identity", "/flow/phone"),
        ("through_phone", "/flow/pin"),
        ("through_pin", "/flow/consent"),
    ],
)
@pytest.mark.parametrize("kind", [LockKind.IDENTITY, LockKind.PIN])
async def test_a_lock_engaged_elsewhere_stops_the_flow_on_any_screen_with_b84(customer: Customer, taro, db, clock, reach, screen, kind):
    await customer.start()
    await getattr(customer, reach)(taro)
    await _lock_from_elsewhere(db, taro.id, kind, clock.now())
    shown = await customer.http.get(screen)
    assert shown.status_code == 403 and reason_of(shown.text) == "B84"
    assert "ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。" in shown.text
    assert await db.fetchval("SELECT count(*) FROM oauth_grant") == 0


async def test_at_screen_four_a_lock_stops_the_confirm_button_too(customer: Customer, taro, db, clock):
    await customer.start()
    await customer.through_identity(taro)
    await customer.post("/flow/phone")
    await customer.call_in(taro.phones[0])
    await _lock_from_elsewhere(db, taro.id, LockKind.PIN, clock.now())
    response = await customer.post("/flow/phone/call")
    assert reason_of(response.text) == "B84"
