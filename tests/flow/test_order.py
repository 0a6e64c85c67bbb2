"""The screens in order: no skipping ahead, back and reload harmless, CSRF on every form, idle flows end."""

from __future__ import annotations

import pytest

from tests.flow.walk import Customer, csrf_of, reason_of


@pytest.mark.parametrize("screen", ["/flow/customer", "/flow/phone", "/flow/phone/call", "/flow/pin", "/flow/consent"])
async def test_a_screen_ahead_of_the_customer_sends_them_back_to_where_they_are(customer: Customer, db, screen):
    await customer.start()
    shown = await customer.http.get(screen)
    posted = await customer.http.post(screen, data={"csrf_token": csrf_of(customer.page), "pin": "1234", "decision": "approve"})
    assert shown.status_code == posted.status_code == 303
    assert shown.headers["location"] == posted.headers["location"] == "/flow/account"
    assert await db.fetchval("SELECT count(*) FROM oauth_grant") == 0
    assert await db.fetchval("SELECT count(*) FROM account_failure") == 0


async def test_after_the_phone_check_the_identity_screens_are_closed(customer: Customer, taro):
    await customer.start()
    await customer.through_phone(taro)
    back = await customer.http.get("/flow/customer")
    assert back.headers["location"] == "/flow/pin"
    reposted = await customer.http.post("/flow/account", data={"csrf_token": csrf_of(customer.page), **taro.form})
    assert reposted.headers["location"] == "/flow/pin"


async def test_going_back_to_screen_one_to_correct_the_account_is_allowed(customer: Customer, taro):
    await customer.start()
    await customer.enter_account(taro)
    await customer.open("/flow/account")
    assert 'action="/flow/account"' in customer.page
    response = await customer.enter_account(taro)
    assert response.headers["location"] == "/flow/customer"


async def test_reloading_a_screen_changes_nothing(customer: Customer, taro, db):
    await customer.start()
    await customer.enter_account(taro)
    first = await customer.http.get("/flow/customer")
    second = await customer.http.get("/flow/customer")
    assert first.status_code == second.status_code == 200
    assert await db.fetchval("SELECT step FROM flow") == "customer"


async def test_a_double_submitted_screen_is_harmless(customer: Customer, taro, db):
    await customer.start()
    await customer.enter_account(taro)
    form = {"csrf_token": csrf_of(customer.page), "birth_date": taro.birth_date, "name_kana": "ヤマダ タロウ", "email": "t@example.jp"}
    first = await customer.http.post("/flow/customer", data=form)
    second = await customer.http.post("/flow/customer", data=form)
    assert first.headers["location"] == second.headers["location"] == "/flow/phone"
    assert await db.fetchval("SELECT coalesce(sum(failures), 0) FROM account_failure") == 0


@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-even-hex", "x" * 500])
async def test_a_form_without_the_right_csrf_token_is_refused_and_does_nothing(customer: Customer, taro, db, token):
    await customer.start()
    form = dict(taro.form) | ({"csrf_token": token} if token is not None else {})
    response = await customer.http.post("/flow/account", data=form)
    assert response.status_code == 403
    assert await db.fetchval("SELECT step FROM flow") == "account"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE detail->>'problem' = 'csrf'") == 1


async def test_a_flow_left_idle_too_long_ends_with_a_clear_page(customer: Customer, taro, clock, db):
    await customer.start()
    await customer.enter_account(taro)
    clock.advance(seconds=customer.settings.policy.flow_idle_seconds + 1)
    response = await customer.enter_details(taro.birth_date)
    assert response.status_code == 410
    assert "有効時間が過ぎました" in response.text and "アプリから改めて操作してください" in response.text
    assert await db.fetchval("SELECT outcome FROM flow") == "expired"
    again = await customer.http.get("/flow/customer")
    assert again.status_code == 410


async def test_a_flow_in_use_does_not_expire(customer: Customer, taro, clock):
    await customer.start()
    for _ in range(3):
        clock.advance(seconds=customer.settings.policy.flow_idle_seconds - 60)
        await customer.open("/flow/account")
    response = await customer.enter_account(taro)
    assert response.headers["location"] == "/flow/customer" and reason_of(customer.page) is None
