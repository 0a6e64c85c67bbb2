"""Screens ③ and ④: the registered numbers masked, the auth number, 確定する, the 120 s and the event stream."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import httpx

from server.settings import ClientSettings
from tests.conftest import build_test_settings
from tests.flow.walk import Customer, auth_number_of, create_account, create_client, csrf_of, reason_of


async def _at_call(customer: Customer, account) -> None:  # type: ignore[no-untyped-def]
    await customer.start()
    await customer.through_identity(account)
    await customer.post("/flow/phone")


async def test_screen_three_shows_every_registered_number_masked(customer: Customer, db, settings):
    hanako = await create_account(db, settings, account_type=4, account_number="7654321", birth_date="1975-12-31",
                                  pin="4321", phones=("+81524510000", "+818022223333"))
    await customer.start()
    await customer.through_identity(hanako)
    phones = customer.page.split('<ul class="phones">')[1].split("</ul>")[0]
    assert "052-***-0000" in phones and "080-****-3333" in phones
    assert "2222" not in customer.page and "451-0000" not in customer.page


async def test_screen_four_shows_the_auth_number_and_its_deadline(customer: Customer, taro, clock):
    await _at_call(customer, taro)
    number = auth_number_of(customer.page)
    assert number in customer.settings.ivr.auth_numbers
    deadline = (clock.now() + timedelta(seconds=120)).isoformat()
    assert f'data-expires-at="{deadline}"' in customer.page
    assert f'href="tel:{number}"' in customer.page and "050-0000-000" in customer.page and "タップして発信" in customer.page
    assert 'data-call-status="waiting"' in customer.page
    assert 'action="/flow/phone/simulate"' in customer.page  # development only


async def test_confirm_before_the_call_is_b86_and_again_after_it_moves_on(customer: Customer, taro, clock):
    await _at_call(customer, taro)
    waiting = await customer.post("/flow/phone/call")
    assert waiting.status_code == 200 and reason_of(customer.page) == "B86"
    assert "認証中(認証着信待ち)" in customer.page
    clock.advance(seconds=119)
    await customer.call_in(taro.phones[0])
    matched = await customer.post("/flow/phone/call")
    assert matched.headers["location"] == "/flow/pin"


async def test_a_call_from_a_number_that_is_not_registered_does_not_count(customer: Customer, taro):
    await _at_call(customer, taro)
    await customer.call_in("+817033334444")
    await customer.post("/flow/phone/call")
    assert reason_of(customer.page) == "B86"


async def test_after_120_seconds_the_same_screen_offers_a_new_number_and_another_120_seconds(customer: Customer, taro, clock, db):
    await _at_call(customer, taro)
    clock.advance(seconds=121)
    await customer.call_in(taro.phones[0])  # too late: the call is void too
    expired = await customer.post("/flow/phone/call")
    assert expired.headers["location"] == "/flow/phone/call"
    assert 'data-call-status="expired"' in customer.page and "新しい番号を表示する" in customer.page
    assert await db.fetchval("SELECT step FROM flow") == "call"  # ① and ② stay passed
    await customer.post("/flow/phone/call/new")
    assert 'data-call-status="waiting"' in customer.page
    assert f'data-expires-at="{(clock.now() + timedelta(seconds=120)).isoformat()}"' in customer.page
    assert [c["state"] for c in await db.fetch("SELECT state FROM phone_check ORDER BY id")] == ["void", "open"]
    await customer.call_in(taro.phones[0])
    assert (await customer.post("/flow/phone/call")).headers["location"] == "/flow/pin"


async def test_a_new_number_is_drawn_only_once_the_shown_one_has_expired(customer: Customer, taro, db):
    await _at_call(customer, taro)
    await customer.post("/flow/phone/call/new")
    assert await db.fetchval("SELECT count(*) FROM phone_check") == 1


async def test_after_its_share_of_numbers_the_flow_is_b85_and_starts_again_from_screen_one(customer: Customer, taro, clock, db):
    await _at_call(customer, taro)  # the first of four numbers
    for _ in range(3):
        clock.advance(seconds=121)
        await customer.open("/flow/phone/call")
        await customer.post("/flow/phone/call/new")
    assert await db.fetchval("SELECT number_draws FROM flow") == 4
    clock.advance(seconds=121)
    response = await customer.open("/flow/phone/call")
    assert response.status_code == 410 and reason_of(customer.page) == "B85"
    assert "電話番号認証の有効時間(120秒)を過ぎました。最初から操作してください。" in customer.page
    assert await db.fetchval("SELECT step FROM flow") == "account"
    await customer.open("/flow/account")
    await customer.through_identity(taro)
    await customer.post("/flow/phone")  # passing ① and ② again gives the flow its share again
    assert 'data-call-status="waiting"' in customer.page


async def test_parallel_requests_for_a_new_number_never_draw_past_the_share(customer: Customer, taro, clock, db):
    await _at_call(customer, taro)
    clock.advance(seconds=121)
    await customer.open("/flow/phone/call")
    csrf = csrf_of(customer.page)
    await asyncio.gather(*(customer.http.post("/flow/phone/call/new", data={"csrf_token": csrf}) for _ in range(8)))
    assert await db.fetchval("SELECT number_draws FROM flow") <= 4
    assert await db.fetchval("SELECT count(*) FROM phone_check WHERE state = 'open'") == 1


async def test_a_call_from_an_unregistered_number_is_said_on_the_screen(customer: Customer, taro):
    await _at_call(customer, taro)
    number = auth_number_of(customer.page)
    async with customer.http.stream("GET", "/flow/phone/events") as events:
        lines = events.aiter_lines()
        assert await anext(lines) == "retry: 3000"
        await customer.call_in("+817033334444", number)
        received = await asyncio.wait_for(_next_event(lines), timeout=5)
        data = await anext(lines)
    assert received == "refused" and data == 'data: {"status": "unregistered"}'
    await customer.open("/flow/phone/call")
    assert 'data-call-status="unregistered"' in customer.page
    assert "ご登録の電話番号以外からのお電話でした。" in customer.page


async def test_a_withheld_call_is_said_on_the_screen_with_186(customer: Customer, taro):
    await _at_call(customer, taro)
    await customer.call_in("Anonymous")
    await customer.open("/flow/phone/call")
    assert 'data-call-status="withheld"' in customer.page and 'href="tel:1860500000' in customer.page


async def test_the_event_stream_says_matched_the_moment_the_call_arrives(customer: Customer, taro):
    await _at_call(customer, taro)
    number = auth_number_of(customer.page)
    async with customer.http.stream("GET", "/flow/phone/events") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        assert events.headers["cache-control"] == "no-store"
        lines = events.aiter_lines()
        assert await anext(lines) == "retry: 3000"
        await customer.call_in(taro.phones[0], number)
        received = await asyncio.wait_for(_next_event(lines), timeout=5)
    assert received == "matched"
    response = await customer.post("/flow/phone/call")
    assert response.headers["location"] == "/flow/pin"


async def test_the_event_stream_says_expired_after_the_deadline(customer: Customer, taro, clock):
    await _at_call(customer, taro)
    clock.advance(seconds=121)
    async with customer.http.stream("GET", "/flow/phone/events") as events:
        received = await asyncio.wait_for(_next_event(events.aiter_lines()), timeout=5)
    assert received == "expired"


async def _next_event(lines) -> str:  # type: ignore[no-untyped-def]
    async for line in lines:
        if line.startswith("event: "):
            return line.removeprefix("event: ")
    raise AssertionError("the stream ended without an event")


async def test_the_simulate_button_places_a_signed_call_in_development(customer: Customer, taro):
    await _at_call(customer, taro)
    simulated = await customer.post("/flow/phone/simulate")
    assert simulated.headers["location"] == "/flow/phone/call"
    response = await customer.post("/flow/phone/call")
    assert response.headers["location"] == "/flow/pin"


async def test_production_has_no_simulate_button(start_server, database_url, db):
    # The test's app is a sandbox app, which production serves only when the setting allows it.
    server = await start_server(replace(build_test_settings(database_url), env="production",
                                        clients=ClientSettings(sandbox_in_production=True)))
    await create_client(db)
    taro = await create_account(db, server.runtime.settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        await _at_call(customer, taro)
        assert "/flow/phone/simulate" not in customer.page
        refused = await http.post("/flow/phone/simulate", data={"csrf_token": csrf_of(customer.page)})
        assert refused.status_code == 404
        assert await db.fetchval("SELECT state FROM phone_check") == "open"
