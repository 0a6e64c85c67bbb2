from __future__ import annotations

import re

import pytest

from server.reasons import Reason

# Contract §3, copied character for character.
CONTRACT = [
    ("B81", "ご指定の口座は、本サービスではお取り扱いできません。"),
    ("B82", "本人認証情報が誤っています。本人認証項目をご確認のうえ、再度入力して下さい。"),
    ("B83", "お取扱いができなくなりました。詳しくは本サービスのお問合せ窓口へご照会下さい。"),
    ("B84", "ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。"),
    ("B85", "電話番号認証の有効時間(120秒)を過ぎました。最初から操作してください。"),
    ("B86", "認証中(認証着信待ち)"),
    ("B87", "暗証番号が誤っています。"),
    ("B88", "暗証番号の誤りが規定回数に達したため、お取扱いができなくなりました。"),
    ("B89", "ご指定の口座は移管されました。新しいお取引店・口座番号で操作してください。"),
    ("S01", "ただ今の時間はサービスを行っておりません。ご了承下さい。"),
    ("S02", "ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。"),
    ("S03", "調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。"),
]


def test_the_codes_are_exactly_the_contracts() -> None:
    assert [str(reason) for reason in Reason] == [code for code, _ in CONTRACT]


@pytest.mark.parametrize(("code", "text"), CONTRACT, ids=[f"{code} says the contract's words in japanese" for code, _ in CONTRACT])
def test_japanese_message_is_the_contracts(code: str, text: str) -> None:
    assert Reason(code).message("ja") == text


@pytest.mark.parametrize("reason", list(Reason), ids=[f"{r} has an english message" for r in Reason])
def test_english_message_is_plain_english(reason: Reason) -> None:
    message = reason.message("en")
    assert message and message != reason.message("ja")
    assert re.fullmatch(r"[A-Za-z0-9 ,.'()-]+", message), message
    assert message[0].isupper()


@pytest.mark.parametrize("reason", list(Reason), ids=[f"{r} explains itself to staff in both languages" for r in Reason])
def test_staff_explanations_exist_in_both_languages(reason: Reason) -> None:
    ja, en = reason.staff_explanation("ja"), reason.staff_explanation("en")
    assert ja and en and ja != en
    assert ja != reason.message("ja")


STATUSES = [
    ("B81 is a bad request: the account cannot be used", Reason.B81, 400),
    ("B82 is a bad request: wrong birth date", Reason.B82, 400),
    ("B83 is forbidden: the identity lock engaged", Reason.B83, 403),
    ("B84 is forbidden: the account is locked", Reason.B84, 403),
    ("B85 is gone: the phone check expired", Reason.B85, 410),
    ("B86 is a normal page: waiting for the call", Reason.B86, 200),
    ("B87 is a bad request: wrong pin", Reason.B87, 400),
    ("B88 is forbidden: the pin lock engaged", Reason.B88, 403),
    ("B89 is a bad request: the account moved", Reason.B89, 400),
    ("S01 is unavailable: maintenance", Reason.S01, 503),
    ("S02 is unavailable: overload", Reason.S02, 503),
    ("S03 is a server error", Reason.S03, 500),
]


@pytest.mark.parametrize(("reason", "status"), [row[1:] for row in STATUSES], ids=[row[0] for row in STATUSES])
def test_status(reason: Reason, status: int) -> None:
    assert reason.status == status


RESTART = {Reason.B83, Reason.B84, Reason.B85, Reason.B88, Reason.B89}


@pytest.mark.parametrize(
    "reason",
    list(Reason),
    ids=[f"{r} {'sends the customer back to screen ①' if r in RESTART else 'lets the customer carry on'}" for r in Reason],
)
def test_restart(reason: Reason) -> None:
    assert reason.restart is (reason in RESTART)


def test_staff_explanation_of_a_wrong_birth_date() -> None:
    assert Reason.B82.staff_explanation("ja") == "生年月日の誤り (本人認証エラー)"
    assert Reason.B82.staff_explanation("en") == "Wrong birth date (identity check failed)"


@pytest.mark.parametrize("lang", ["fr", "JA", "ja-JP", ""], ids=lambda lang: f"language {lang!r} is refused")
def test_unknown_language_is_refused(lang: str) -> None:
    with pytest.raises(ValueError, match="lang"):
        Reason.B81.message(lang)
    with pytest.raises(ValueError, match="lang"):
        Reason.B81.staff_explanation(lang)


def test_a_reason_is_its_code_as_a_string() -> None:
    assert Reason.B86 == "B86"
    assert f"{Reason.S01}" == "S01"
    assert Reason("B89") is Reason.B89
