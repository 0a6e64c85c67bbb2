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

from server.web.i18n import N_

REQUIRED = N_("Please fill in this field.")
TOO_LONG = N_("This is too long.")
BAD_CHARACTERS = N_("This contains characters that cannot be used.")
BRANCH = N_("Enter the 3-digit branch number.")
ACCOUNT_TYPE = N_("Choose the account type.")
ACCOUNT_NUMBER = N_("Enter the 7-digit account number.")
BIRTH_DATE = N_("Enter your date of birth as year-month-day, for example 1980-04-01.")
NO_SUCH_DATE = N_("This date does not exist.")
FUTURE_DATE = N_("The date of birth cannot be in the future.")
KANA = N_("Enter your name in katakana.")
EMAIL = N_("Enter a valid e-mail address.")
PIN = N_("Enter the 4-digit PIN.")

_DATE = re.compile(r"^([0-9]{4})[-/]?([0-9]{2})[-/]?([0-9]{2})$")
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


def birth_date(raw: str | None, today: date) -> date:
    match = _DATE.match(normalised(raw, 16))
    if not match:
        raise FieldProblem(BIRTH_DATE)
    try:
        value = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise FieldProblem(NO_SUCH_DATE) from None
    if value > today:
        raise FieldProblem(FUTURE_DATE)
    if value.year < 1900:
        raise FieldProblem(NO_SUCH_DATE)
    return value


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
    parsed.take("account_number", form.get("account_number"), lambda raw: digits(raw, 7, ACCOUNT_NUMBER))
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
