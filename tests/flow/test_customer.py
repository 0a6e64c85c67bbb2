"""Screen ②: the birth date is checked (B82, then B83 at the day's limit); kana and e-mail only recorded."""

from __future__ import annotations

import pytest

from tests.flow.walk import Customer, reason_of

WRONG = "1980-04-02"


async def _at_customer_details(customer: Customer, account) -> None:  # type: ignore[no-untyped-def]
    await customer.start()
    await customer.enter_account(account)


async def test_the_right_birth_date_moves_on_and_records_kana_and_email_for_later(customer: Customer, taro, db):
    await _at_customer_details(customer, taro)
    assert "001 普通 ***4567" in customer.page
    response = await customer.enter_details(taro.birth_date, name_kana="ﾔﾏﾀﾞ　ﾀﾛｳ", email="ｔａｒｏ@example.jp")
    assert response.headers["location"] == "/flow/phone"
    flow = await db.fetchrow("SELECT name_kana, email, step FROM flow")
    assert (flow["name_kana"], flow["email"], flow["step"]) == ("ヤマダ タロウ", "taro@example.jp", "phone")
    logged = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'flow:customer:success'")
    assert logged["name_kana"] == "ヤマダ タロウ"


async def test_the_kana_name_is_not_checked_against_the_account(customer: Customer, taro):
    await _at_customer_details(customer, taro)
    response = await customer.enter_details(taro.birth_date, name_kana="スズキ ハナコ")
    assert response.headers["location"] == "/flow/phone"


async def test_a_wrong_birth_date_is_b82_until_the_third_which_is_b83_and_then_b84(customer: Customer, taro, db):
    await _at_customer_details(customer, taro)
    first = await customer.enter_details(WRONG)
    assert first.status_code == 400 and reason_of(customer.page) == "B82"
    assert "本人認証情報が誤っています。本人認証項目をご確認のうえ、再度入力して下さい。" in customer.page
    assert 'value="ヤマダ タロウ"' in customer.page and WRONG not in customer.page
    assert 'data-attempts-left="2"' in customer.page and "あと2回誤ると、本日中はご利用いただけなくなります。" in customer.page
    await customer.enter_details(WRONG)
    assert reason_of(customer.page) == "B82"
    assert 'data-attempts-left="1"' in customer.page and "あと1回誤ると、本日中はご利用いただけなくなります。" in customer.page
    third = await customer.enter_details(WRONG)
    assert third.status_code == 403 and reason_of(customer.page) == "B83"
    assert "お取扱いができなくなりました。詳しくは本サービスのお問合せ窓口へご照会下さい。" in customer.page
    assert "052-451-3128" in customer.page  # the desk to call
    await customer.start()
    await customer.enter_account(taro)
    assert reason_of(customer.page) == "B84"
    events = [(r["event"], r["reason_code"]) for r in await db.fetch("SELECT * FROM operation_log WHERE reason_code IS NOT NULL ORDER BY id")]
    assert events == [("flow:customer:failure", "B82"), ("flow:customer:failure", "B82"),
                      ("flow:customer:failure", "B83"), ("flow:account:failure", "B84")]


async def test_the_right_birth_date_after_the_lock_is_still_b84(customer: Customer, taro, db, clock):
    await _at_customer_details(customer, taro)
    for _ in range(3):
        await customer.enter_details(WRONG)
    await db.execute("UPDATE flow SET finished_at = NULL, outcome = NULL")  # a second tab still open on ②
    await customer.open("/flow/customer")
    assert reason_of(customer.page) == "B84"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": ""}, "birth_date", "入力してください。"),
        ({"birth_date": "2026-02-30"}, "birth_date", "存在しない日付です。"),
        ({"birth_date": "1980-13-01"}, "birth_date", "存在しない日付です。"),
        ({"birth_date": "1800-01-01"}, "birth_date", "存在しない日付です。"),
        ({"birth_date": "2030-01-01"}, "birth_date", "未来の日付は入力できません。"),
        ({"birth_date": "55.4.1"}, "birth_date", "日付を読み取れませんでした。"),
        ({"birth_date": "1980041"}, "birth_date", "日付を読み取れませんでした。"),
        ({"birth_date": "昭和64年1月8日"}, "birth_date", "存在しない日付です。"),
        ({"birth_date": "平成31年5月1日"}, "birth_date", "存在しない日付です。"),
        ({"birth_date": "1980-04-01\n"}, "birth_date", "使用できない文字が含まれています。"),
        ({"name_kana": "やまだ たろう"}, "name_kana", "お名前を全角カタカナで入力してください。"),
        ({"name_kana": "Yamada"}, "name_kana", "お名前を全角カタカナで入力してください。"),
        ({"name_kana": "ヤ" * 61}, "name_kana", "文字数が多すぎます。"),
        ({"name_kana": "ヤマダ\x07"}, "name_kana", "使用できない文字が含まれています。"),
        ({"email": "taro"}, "email", "メールアドレスを正しく入力してください。"),
        ({"email": "taro@localhost"}, "email", "メールアドレスを正しく入力してください。"),
        ({"email": "taro @example.jp"}, "email", "メールアドレスを正しく入力してください。"),
        ({"email": "a" * 65 + "@example.jp"}, "email", "メールアドレスを正しく入力してください。"),
        ({"email": "t@" + "e" * 260 + ".jp"}, "email", "文字数が多すぎます。"),
    ],
)
async def test_a_malformed_field_gets_a_message_and_counts_no_failure(customer: Customer, taro, db, changes, field, message):
    await _at_customer_details(customer, taro)
    details = {"birth_date": taro.birth_date, "name_kana": "ヤマダ タロウ", "email": "taro@example.jp"} | changes
    response = await customer.post("/flow/customer", details)
    assert response.status_code == 400
    assert f'id="{field}-error"' in customer.page and message in customer.page
    assert await db.fetchval("SELECT coalesce(sum(failures), 0) FROM account_failure") == 0


async def test_full_width_digits_in_the_birth_date_are_ordinary_digits(customer: Customer, taro):
    await _at_customer_details(customer, taro)
    response = await customer.enter_details("１９８０／０４／０１")
    assert response.headers["location"] == "/flow/phone"


@pytest.mark.parametrize("written", ["19800401", "1980/4/1", "1980-4-1", "１９８０年４月１日", "S55.4.1", "昭和55年4月1日", "s550401"])
async def test_the_birth_date_passes_however_the_customer_writes_it(customer: Customer, taro, written):
    await _at_customer_details(customer, taro)
    response = await customer.enter_details(written)
    assert response.headers["location"] == "/flow/phone"


async def test_the_birth_date_and_email_never_reach_the_process_log(customer: Customer, taro, log_lines):
    await _at_customer_details(customer, taro)
    await customer.enter_details(WRONG, email="secret.person@example.jp")
    await customer.enter_details(taro.birth_date, email="secret.person@example.jp")
    text = "\n".join(log_lines)
    assert "1980-04-0" not in text and "secret.person" not in text and "1234567" not in text
