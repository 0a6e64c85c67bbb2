"""S01 during a maintenance window: at /authorize, and for a flow already under way."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from server.clock import TOKYO, FrozenClock
from tests.flow.walk import REDIRECT_URI, Customer

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


async def test_authorize_during_a_window_offers_back_to_the_app_with_temporarily_unavailable(customer: Customer, clock: FrozenClock):
    clock.set(INSIDE_DAILY_WINDOW)
    response = await customer.start()
    assert response.status_code == 503 and 'data-reason-code="S01"' in response.text
    back = _back_to_app(response.text)
    assert back.startswith(REDIRECT_URI + "?")
    assert parse_qs(urlsplit(back).query) == {
        "error": ["temporarily_unavailable"], "error_description": ["the bank's service is closed for maintenance"],
        "state": [customer.params["state"]], "iss": [customer.settings.issuer],
    }


async def test_authorize_during_a_window_never_offers_a_redirect_uri_the_app_did_not_register(customer: Customer, clock: FrozenClock):
    clock.set(INSIDE_DAILY_WINDOW)
    response = await customer.start(redirect_uri="https://attacker.example/cb")
    assert response.status_code == 503 and 'data-reason-code="S01"' in response.text
    assert 'id="back-to-app"' not in response.text and 'href="https://attacker.example' not in response.text


def _back_to_app(page: str) -> str:
    match = re.search(r'id="back-to-app" href="([^"]+)"', page)
    assert match, "the S01 page offers no アプリに戻る"
    return html.unescape(match[1])
