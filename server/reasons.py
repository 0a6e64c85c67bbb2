"""Reason codes (contract §3) in one place: messages (ja/en), HTTP status, restart.

Statuses, chosen so that logs and monitoring read sensibly (the customer only
sees the page): 400 when what was entered cannot be used (B81, B82, B87, B89),
403 when a lock refuses the attempt (B83, B84, B88), 410 when the phone check
has expired (B85), 200 for the waiting page (B86, not an error), 503 for
maintenance and overload (S01, S02; callers may add Retry-After), 500 for a
system error (S03).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LANGUAGES = ("ja", "en")


@dataclass(frozen=True)
class _Detail:
    ja: str
    en: str
    status: int
    restart: bool
    staff_ja: str
    staff_en: str


class Reason(StrEnum):
    B81 = "B81"
    B82 = "B82"
    B83 = "B83"
    B84 = "B84"
    B85 = "B85"
    B86 = "B86"
    B87 = "B87"
    B88 = "B88"
    B89 = "B89"
    S01 = "S01"
    S02 = "S02"
    S03 = "S03"

    def message(self, lang: str) -> str:
        """The customer-facing message, word for word as the contract gives it in ja."""
        detail = _DETAILS[self]
        return detail.ja if _language(lang) == "ja" else detail.en

    def staff_explanation(self, lang: str) -> str:
        """What happened, in the words a clerk uses on the staff console."""
        detail = _DETAILS[self]
        return detail.staff_ja if _language(lang) == "ja" else detail.staff_en

    @property
    def status(self) -> int:
        return _DETAILS[self].status

    @property
    def restart(self) -> bool:
        """True when the customer must start again from screen ①."""
        return _DETAILS[self].restart


def _language(lang: str) -> str:
    # Negotiation (Accept-Language, ?lang=en) happens at the edge; a stray value is a bug.
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    return lang


_DETAILS: dict[Reason, _Detail] = {
    Reason.B81: _Detail(
        "ご指定の口座は、本サービスではお取り扱いできません。",
        "This account cannot be used with this service.",
        400, False,
        "取扱不可の口座 (該当なし・対象外の科目・キャッシュカード未発行・解約済)",
        "Account cannot be used (not found, account type not 1 or 4, no cash card, or closed)",
    ),
    Reason.B82: _Detail(
        "本人認証情報が誤っています。本人認証項目をご確認のうえ、再度入力して下さい。",
        "The identity details you entered are incorrect. Please check them and enter them again.",
        400, False,
        "生年月日の誤り (本人認証エラー)",
        "Wrong birth date (identity check failed)",
    ),
    Reason.B83: _Detail(
        "お取扱いができなくなりました。詳しくは本サービスのお問合せ窓口へご照会下さい。",
        "We can no longer process your request. For details, please contact this service's help desk.",
        403, True,
        "本人認証エラーが規定回数に達し、本人認証ロックがかかった",
        "Identity check failed too many times; the identity lock is now on",
    ),
    Reason.B84: _Detail(
        "ただ今お取扱いできません。詳しくは本サービスのお問合せ窓口へご照会下さい。",
        "We cannot process your request at the moment. For details, please contact this service's help desk.",
        403, True,
        "ロック中の口座への操作 (本人認証ロックまたは暗証番号ロック)",
        "Attempt on a locked account (identity lock or PIN lock)",
    ),
    Reason.B85: _Detail(
        "電話番号認証の有効時間(120秒)を過ぎました。最初から操作してください。",
        "The time allowed for phone verification (120 seconds) has passed. Please start again from the beginning.",
        410, True,
        "電話番号認証の有効時間(120秒)切れ",
        "Phone check expired (the 120-second window passed)",
    ),
    Reason.B86: _Detail(
        "認証中(認証着信待ち)",
        "Verifying (waiting for your call)",
        200, False,
        "着信前に「確定する」が押された (認証着信待ち)",
        "確定する was pressed before the call arrived (waiting for the call)",
    ),
    Reason.B87: _Detail(
        "暗証番号が誤っています。",
        "The PIN is incorrect.",
        400, False,
        "キャッシュカード暗証番号の誤り",
        "Wrong cash-card PIN",
    ),
    Reason.B88: _Detail(
        "暗証番号の誤りが規定回数に達したため、お取扱いができなくなりました。",
        "The PIN was entered incorrectly too many times, so we can no longer process your request.",
        403, True,
        "暗証番号の誤りが規定回数に達し、暗証番号ロックがかかった (API連携のみ)",
        "Wrong PIN too many times; the PIN lock is now on (API linkage only)",
    ),
    Reason.B89: _Detail(
        "ご指定の口座は移管されました。新しいお取引店・口座番号で操作してください。",
        "This account has been moved to another branch. Please use the new branch and account number.",
        400, True,
        "移管済みの口座 (新しい店番・口座番号での操作が必要)",
        "Account moved to another branch (移管); the new branch and account number must be used",
    ),
    Reason.S01: _Detail(
        "ただ今の時間はサービスを行っておりません。ご了承下さい。",
        "The service is not available at this time. Thank you for your understanding.",
        503, False,
        "メンテナンス時間帯",
        "Maintenance window",
    ),
    Reason.S02: _Detail(
        "ただ今受付が混雑しておりますので、しばらくしてからご利用下さい。",
        "The service is busy at the moment. Please try again a little later.",
        503, False,
        "混雑による受付制限",
        "Turned away because the service was overloaded",
    ),
    Reason.S03: _Detail(
        "調整のため連絡ができなくなりました。なお、お急ぎの場合は本サービスのお問合せ窓口へご照会下さい。",
        "The service cannot be reached at the moment because of system adjustments. "
        "If it is urgent, please contact this service's help desk.",
        500, False,
        "システムエラー",
        "System error",
    ),
}
