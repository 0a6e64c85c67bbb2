"""The completion notice (contract §2): app name and time, how to reach the desk, nothing secret.

Plain text, Japanese first then English, whatever the customer's language; the
subject follows the customer's language. The notice never carries an account
number, PIN, code or token: it is given none of them.
"""

from __future__ import annotations

import re
from datetime import datetime

import asyncpg

from server.clock import TOKYO
from server.db import outbox
from server.settings import BankSettings

_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")  # fmt: skip
# Light on purpose, and never stricter than screen ② (the WHATWG rule of <input type=email>):
# an address the screen took must not fail the grant's transaction here. Dots anywhere in
# the local part: older Japanese mobile addresses (taro..yamada.@...) are real.
_ADDRESS = re.compile(
    r"^(?=.{3,254}$)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


class InvalidAddress(ValueError):
    """The e-mail address cannot be right; nothing was queued."""


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address))


def when_ja(moment: datetime) -> str:
    """2026年11月24日 10:00 (Tokyo time)."""
    t = moment.astimezone(TOKYO)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def when_en(moment: datetime) -> str:
    """24 November 2026, 10:00 (Japan time), spelled out so no reader mixes day and month."""
    t = moment.astimezone(TOKYO)
    return f"{t.day} {_MONTHS[t.month - 1]} {t.year}, {t:%H:%M} (Japan time)"


def subject(lang: str, bank: BankSettings) -> str:
    if lang == "en":
        return f"[{bank.name_en}] API linkage authentication completed"
    return f"【{bank.name_ja}】API連携認証完了のお知らせ"


def body(app_name: str, completed_at: datetime, bank: BankSettings) -> str:
    app = _CONTROLS.sub(" ", app_name).strip()[:100]
    return f"""{bank.name_ja}をご利用いただき、ありがとうございます。
次のアプリとのAPI連携認証が完了しましたので、お知らせいたします。

　アプリ名：{app}
　完了日時：{when_ja(completed_at)}

お心当たりのない場合は、お手数ですが、下記のお問合せ窓口までお電話でご連絡ください。

　{bank.name_ja} {bank.desk_ja}
　電話番号：{bank.desk_phone}（{bank.desk_hours_ja}）

※このメールは送信専用のアドレスからお送りしています。ご返信いただいてもお答えできません。
※ご登録のメールアドレスは、この通知をお送りするためだけに使用します。変更のお手続きは不要です。
※{bank.name_ja}から、メールで口座番号や暗証番号をお尋ねすることはありません。

--------------------------------------------------
Thank you for using {bank.name_en}.
API linkage authentication has been completed for the app below.

  App: {app}
  Completed: {when_en(completed_at)}

If you did not do this, please call {bank.desk_en}, {bank.name_en}:
  Telephone: {bank.desk_phone} ({bank.desk_hours_en})

- This message comes from an address that cannot receive replies.
- The e-mail address you entered is used only for this notice; you need not change it.
- {bank.name_en} never asks for your account number or PIN by e-mail.
"""


async def enqueue_completion_notice(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    to_address: str,
    app_name: str,
    completed_at: datetime,
    lang: str,
    bank: BankSettings,
) -> None:
    """Queue the notice in the caller's transaction: it is sent if, and only if, the grant commits."""
    if completed_at.tzinfo is None or completed_at.utcoffset() is None:
        raise ValueError("completed_at must be an aware datetime")
    address = to_address.strip()
    if not valid_address(address):
        raise InvalidAddress("not an e-mail address")  # the address itself stays out of messages and logs
    await outbox.enqueue(
        conn, to_address=address, subject=subject(lang, bank), body=body(app_name, completed_at, bank), now=completed_at
    )
