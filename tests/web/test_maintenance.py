"""S01 during a maintenance window: at /authorize, and for a flow already under way."""

from __future__ import annotations

import asyncio
from datetime import datetime

from server.clock import TOKYO, FrozenClock
from tests.flow.walk import Customer

# Every day 04:00–04:05 Tokyo is closed (contract §4).
BEFORE_DAILY_WINDOW = datetime(2026, 11, 24, 3, 59, tzinfo=TOKYO)
INSIDE_DAILY_WINDOW = datetime(2026, 11, 24, 4, 2, tzinfo=TOKYO)
AFTER_DAILY_WINDOW = datetime(2026, 11, 24, 4, 5, tzinfo=TOKYO)


async def test_authorize_during_a_window_shows_s01_and_when_the_service_reopens(customer: Customer, clock: FrozenClock):
    clock.set(INSIDE_DAILY_WINDOW)
    response = await customer.start()
    assert response.status_code == 503
    assert 'data-reason-code="S01"' in response.text
    assert "ただ今の時間はサービスを行っておりません。ご了承下さい。" in response.text
    assert "2026年11月24日 04:05" in response.text
    assert response.headers["retry-after"] == "180"
    assert "location" not in response.headers


async def test_a_flow_under_way_when_a_window_opens_stops_with_s01_and_goes_on_after_it(customer: Customer, taro, clock: FrozenClock):
    clock.set(BEFORE_DAILY_WINDOW)
    await customer.start()
    await customer.enter_account(taro)
    clock.set(INSIDE_DAILY_WINDOW)
    stopped = await customer.enter_details(taro.birth_date)
    assert stopped.status_code == 503 and 'data-reason-code="S01"' in stopped.text
    clock.set(AFTER_DAILY_WINDOW)
    await customer.open("/flow/customer")
    resumed = await customer.enter_details(taro.birth_date)
    assert resumed.headers["location"] == "/flow/phone"


async def test_a_window_added_by_staff_closes_the_screens_at_once(customer: Customer, server, clock: FrozenClock, db):
    from datetime import timedelta

    from server.db import maintenance_windows

    await customer.start()
    now = clock.now()
    async with db.acquire() as conn:
        await maintenance_windows.add_window(conn, now - timedelta(minutes=1), now + timedelta(hours=1), "緊急メンテナンス", "hq-admin", now)
    for _ in range(100):  # the NOTIFY reaches the server's maintenance service within moments
        response = await customer.http.get("/flow/account")
        if 'data-reason-code="S01"' in response.text:
            break
        await asyncio.sleep(0.02)
    assert 'data-reason-code="S01"' in response.text
