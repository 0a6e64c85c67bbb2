"""What the customer typed, cleaned or refused field by field (pure functions).

Every value is NFKC-normalised first, so full-width digits and letters (１２３,
ａｂｃ＠…) and half-width katakana are accepted as their ordinary forms; a
branch or account number typed in full-width digits is the same number.
Control characters, over-long input and impossible dates are refused with a
message for the field, never passed on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from server.policy.birth_dates import BirthDateProblem, Problem, parse_birth_date
from server.web.i18n import N_

REQUIRED = N_("Please fill in this field.")
TOO_LONG = N_("This is too long.")
BAD_CHARACTERS = N_("This contains characters that cannot be used.")
BRANCH = N_("Enter the 3-digit branch number.")
ACCOUNT_TYPE = N_("Choose the account type.")
ACCOUNT_NUMBER = N_("Enter the 7-digit account number.")
BIRTH_DATE = N_("We could not read this date. Write it as, for example, 1980/4/1 or 昭和55年4月1日 (S55.4.1).")
NO_SUCH_DATE = N_("This date does not exist. Please check the year, the month and the day (and the era).")
FUTURE_DATE = N_("The date of birth cannot be in the future.")
KANA = N_("Enter your name in katakana.")
EMAIL = N_("Enter a valid e-mail address.")
PIN = N_("Enter the 4-digit PIN.")

_KANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fb\u30fd\u30fe ]+$")
# The WHATWG definition of a valid e-mail address (what <input type=email> accepts).
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class FieldProblem(Exception):
    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


@dataclass
class Parsed:
    values: dict[str, Any] = field(default_factory=dict)   # cleaned, ready to use
    entered: dict[str, str] = field(default_factory=dict)  # as typed, to fill the form again
    errors: dict[str, str] = field(default_factory=dict)   # field -> msgid

    @property
    def ok(self) -> bool:
        return not self.errors

    def take(self, name: str, raw: str | None, clean, *, keep_entered: bool = True) -> None:  # type: ignore[no-untyped-def]
        if keep_entered and raw is not None:
            self.entered[name] = raw[:200]
        try:
            self.values[name] = clean(raw)
        except FieldProblem as problem:
            self.errors[name] = problem.msgid


def normalised(raw: str | None, max_length: int) -> str:
    """NFKC, trimmed; refuses missing, over-long and control characters."""
    if raw is None or not raw.strip():
        raise FieldProblem(REQUIRED)
    if len(raw) > max_length * 4:
        raise FieldProblem(TOO_LONG)
    if any(unicodedata.category(ch)[0] == "C" for ch in raw):
        raise FieldProblem(BAD_CHARACTERS)
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > max_length:
        raise FieldProblem(TOO_LONG)
    return text


def digits(raw: str | None, count: int, msgid: str) -> str:
    text = normalised(raw, count + 8)
    if not re.fullmatch(rf"[0-9]{{{count}}}", text):
        raise FieldProblem(msgid)
    return text


_BIRTH_DATE_MESSAGES = {Problem.UNREADABLE: BIRTH_DATE, Problem.NO_SUCH_DATE: NO_SUCH_DATE, Problem.FUTURE: FUTURE_DATE}


def birth_date(raw: str | None, today: date) -> date:
    """Any form server.policy.birth_dates reads; a field message (never a wrong guess) otherwise."""
    try:
        value = parse_birth_date(normalised(raw, 20), today)
    except BirthDateProblem as problem:
        raise FieldProblem(_BIRTH_DATE_MESSAGES[problem.problem]) from None
    if value.year < 1900:
        raise FieldProblem(NO_SUCH_DATE)
    return value


def account_number(raw: str | None) -> str:
    """7 digits; a shorter number is the same number with 0s in front (1234 → 0001234)."""
    text = normalised(raw, 15)
    if not re.fullmatch(r"[0-9]{1,7}", text):
        raise FieldProblem(ACCOUNT_NUMBER)
    return text.zfill(7)


def name_kana(raw: str | None) -> str:
    text = " ".join(normalised(raw, 60).split())
    if not _KANA.match(text):
        raise FieldProblem(KANA)
    return text


def email(raw: str | None) -> str:
    text = normalised(raw, 254)
    local = text.partition("@")[0]
    if not _EMAIL.match(text) or len(local) > 64:
        raise FieldProblem(EMAIL)
    return text


def account_type(raw: str | None) -> int:
    text = normalised(raw, 2)
    if not re.fullmatch(r"[1-9]", text):
        raise FieldProblem(ACCOUNT_TYPE)
    return int(text)


def parse_account(form: dict[str, str]) -> Parsed:
    parsed = Parsed()
    parsed.take("branch_code", form.get("branch_code"), lambda raw: digits(raw, 3, BRANCH))
    parsed.take("account_type", form.get("account_type"), account_type)
    parsed.take("account_number", form.get("account_number"), account_number)
    return parsed


def parse_customer(form: dict[str, str], today: date) -> Parsed:
    parsed = Parsed()
    parsed.take("birth_date", form.get("birth_date"), lambda raw: birth_date(raw, today))
    parsed.take("name_kana", form.get("name_kana"), name_kana)
    parsed.take("email", form.get("email"), email)
    return parsed


def parse_pin(form: dict[str, str]) -> Parsed:
    parsed = Parsed()
    parsed.take("pin", form.get("pin"), lambda raw: digits(raw, 4, PIN), keep_entered=False)
    return parsed
