"""Screen ⑤: the cash-card PIN (B87, then B88 at the day's limit; the PIN lock stops API linkage only)."""

from __future__ import annotations

import pytest

from tests.flow.walk import Customer, reason_of


async def test_the_right_pin_moves_on_to_consent(customer: Customer, taro):
    await customer.start()
    await customer.through_phone(taro)
    assert 'action="/flow/pin"' in customer.page and 'type="password"' in customer.page
    response = await customer.post("/flow/pin", {"pin": "1234"})
    assert response.headers["location"] == "/flow/consent"


async def test_a_wrong_pin_is_b87_until_the_third_which_is_b88_and_then_b84(customer: Customer, taro, db):
    await customer.start()
    await customer.through_phone(taro)
    first = await customer.post("/flow/pin", {"pin": "9999"})
    assert first.status_code == 400 and reason_of(customer.page) == "B87"
    assert "暗証番号が誤っています。" in customer.page and 'data-attempts-left="2"' in customer.page
    await customer.post("/flow/pin", {"pin": "0000"})
    assert reason_of(customer.page) == "B87" and 'data-attempts-left="1"' in customer.page
    third = await customer.post("/flow/pin", {"pin": "1111"})
    assert third.status_code == 403 and reason_of(customer.page) == "B88"
    assert "暗証番号の誤りが規定回数に達したため、お取扱いができなくなりました。" in customer.page
    state = await db.fetchrow("SELECT failures, locked_until FROM account_failure WHERE kind = 'pin'")
    assert state["failures"] == 3 and state["locked_until"] is not None
    assert await db.fetchval("SELECT outcome FROM flow") == "failed"
    await customer.start()
    await customer.enter_account(taro)
    assert reason_of(customer.page) == "B84"


@pytest.mark.parametrize("pin", ["", "123", "12345", "12a4", "１２３４５", "12\t4"])
async def test_a_malformed_pin_is_a_message_and_counts_no_failure(customer: Customer, taro, db, pin):
    await customer.start()
    await customer.through_phone(taro)
    response = await customer.post("/flow/pin", {"pin": pin})
    assert response.status_code == 400 and 'id="pin-error"' in customer.page
    assert await db.fetchval("SELECT coalesce(sum(failures), 0) FROM account_failure") == 0


async def test_a_full_width_pin_is_read_as_digits(customer: Customer, taro):
    await customer.start()
    await customer.through_phone(taro)
    response = await customer.post("/flow/pin", {"pin": "１２３４"})
    assert response.headers["location"] == "/flow/consent"


async def test_the_pin_never_reaches_a_log_or_a_page(customer: Customer, taro, db, log_lines):
    await customer.start()
    await customer.through_phone(taro)
    await customer.post("/flow/pin", {"pin": "9876"})
    assert "9876" not in customer.page and "9876" not in "\n".join(log_lines)
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE detail::text LIKE '%9876%'") == 0
