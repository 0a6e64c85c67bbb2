"""Screen ①: which accounts can link (B81, B89), and what a mistyped field gets."""

from __future__ import annotations

import pytest

from tests.flow.walk import Customer, create_account, reason_of


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ({"account_number": "7777777", "account_type": 2}, "account type 2 (当座) cannot link"),
        ({"account_number": "2222222", "cash_card": False}, "no cash card"),
        ({"account_number": "3333333", "status": "closed"}, "closed"),
    ],
)
async def test_an_account_that_cannot_link_gets_b81(customer: Customer, db, settings, row, why):
    account = await create_account(db, settings, **row)
    await customer.start()
    response = await customer.enter_account(account)
    assert response.status_code == 400, why
    assert reason_of(customer.page) == "B81"
    assert "ご指定の口座は、本サービスではお取り扱いできません。" in customer.page
    assert "B81" in customer.page


async def test_an_account_that_does_not_exist_gets_b81_and_the_typed_values_stay(customer: Customer, taro):
    await customer.start()
    await customer.enter_account(taro, account_number="7654321")
    assert reason_of(customer.page) == "B81"
    assert 'value="7654321"' in customer.page


async def test_a_moved_account_gets_b89_with_the_new_branch_and_number(customer: Customer, db, settings):
    await create_account(db, settings, branch_code="022", account_number="2222222")
    moved = await create_account(db, settings, branch_code="011", account_number="1111111", status="moved", moved_to="022-1-2222222")
    await customer.start()
    await customer.enter_account(moved)
    assert reason_of(customer.page) == "B89"
    assert "ご指定の口座は移管されました。新しいお取引店・口座番号で操作してください。" in customer.page
    assert "022" in customer.page and "2222222" in customer.page and "普通" in customer.page


async def test_full_width_digits_are_read_as_ordinary_digits(customer: Customer, taro):
    await customer.start()
    response = await customer.enter_account(taro, branch_code="００１", account_number="１２３４５６７")
    assert response.headers["location"] == "/flow/customer"


async def test_a_shorter_account_number_gets_its_zeros_in_front(customer: Customer, db, settings):
    short = await create_account(db, settings, account_number="0012345")
    await customer.start()
    response = await customer.enter_account(short, account_number="12345")
    assert response.headers["location"] == "/flow/customer"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"branch_code": ""}, "branch_code", "入力してください。"),
        ({"branch_code": "01"}, "branch_code", "店番号を3桁の数字で入力してください。"),
        ({"branch_code": "0011"}, "branch_code", "店番号を3桁の数字で入力してください。"),
        ({"branch_code": "abc"}, "branch_code", "店番号を3桁の数字で入力してください。"),
        ({"branch_code": "١٢٣"}, "branch_code", "店番号を3桁の数字で入力してください。"),
        ({"branch_code": "0\x001"}, "branch_code", "使用できない文字が含まれています。"),
        ({"branch_code": "1" * 500}, "branch_code", "文字数が多すぎます。"),
        ({"account_number": "12345a"}, "account_number", "口座番号を7桁の数字で入力してください。"),
        ({"account_number": "12345678"}, "account_number", "口座番号を7桁の数字で入力してください。"),
        ({"account_number": "123-4567"}, "account_number", "口座番号を7桁の数字で入力してください。"),
        ({"account_number": "1234\u202e567"}, "account_number", "使用できない文字が含まれています。"),
        ({"account_type": ""}, "account_type", "入力してください。"),
        ({"account_type": "普通"}, "account_type", "科目を選択してください。"),
        ({"account_type": "0"}, "account_type", "科目を選択してください。"),
        ({"account_type": "14"}, "account_type", "科目を選択してください。"),
    ],
)
async def test_a_malformed_field_gets_its_own_message_tied_to_the_input(customer: Customer, taro, changes, field, message):
    await customer.start()
    response = await customer.enter_account(taro, **changes)
    assert response.status_code == 400
    assert f'id="{field}-error"' in customer.page
    assert message in customer.page
    if field != "account_type":
        assert f'aria-describedby="{field}-error {field}-hint"' in customer.page
        assert 'aria-invalid="true"' in customer.page


async def test_a_missing_field_is_a_message_not_an_error(customer: Customer):
    await customer.start()
    response = await customer.post("/flow/account", {})
    assert response.status_code == 400
    assert customer.page.count('class="field-message"') == 3


async def test_every_attempt_is_in_the_operation_log_with_the_account_masked(customer: Customer, taro, db):
    await customer.start()
    await customer.enter_account(taro, account_number="7654321")
    await customer.enter_account(taro)
    rows = await db.fetch("SELECT * FROM operation_log WHERE event LIKE 'flow:account:%' ORDER BY id")
    assert [(r["event"], r["reason_code"], r["account_masked"]) for r in rows] == [
        ("flow:account:failure", "B81", "001-1-***4321"),
        ("flow:account:success", None, "001-1-***4567"),
    ]
    assert rows[1]["account_id"] == taro.id and rows[1]["client_id"] == "flow-test-app"
    assert rows[1]["user_agent"].startswith("python-httpx")
