"""Reading a core-banking customer extract (CSV): parse and check every row, no I/O.

The whole file is judged before anything is written: ``read_customers`` returns
either customers or problems, each problem naming line and column. Messages say
what is wrong without repeating the value, since a PIN, a birth date, a phone
number or an account number must never reach a terminal or a log.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from passlib.hash import argon2

from server.db.oplog import mask_account
from server.policy.phone_numbers import InvalidPhoneNumber, normalise

COLUMNS = ("branch_code", "account_type", "account_number", "birth_date", "name_kana", "phones", "pin", "cash_card", "status")
# An argon2 hash of the peppered PIN, made elsewhere, may stand in for the PIN.
PIN_COLUMNS = ("pin", "pin_hash")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_BRANCH = re.compile(r"[0-9]{3}")
_TYPE = re.compile(r"[1-9]")
_NUMBER = re.compile(r"[0-9]{7}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PIN = re.compile(r"[0-9]{4}")
_MOVED = re.compile(r"moved:([0-9]{3})-([1-9])-([0-9]{7})")
# Katakana (with ー and ・) and spaces, after NFKC has widened half-width kana (ﾔﾏﾀﾞ → ヤマダ).
_KANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb ]+")


class Invalid(ValueError):
    """One field's value is wrong; the message says why, never what it was."""


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Customer:
    """One account as the extract describes it. Personal fields stay out of ``repr``."""

    line: int
    branch_code: str
    account_type: int
    account_number: str = field(repr=False)
    birth_date: date = field(repr=False)
    name_kana: str = field(repr=False)
    phones: tuple[str, ...] = field(repr=False)
    cash_card: bool
    status: str  # active | closed | moved
    moved_to: str | None = field(repr=False)
    pin: str | None = field(default=None, repr=False)
    pin_hash: str | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.branch_code, self.account_type, self.account_number)

    @property
    def masked(self) -> str:
        return mask_account(self.branch_code, self.account_type, self.account_number)


@dataclass(frozen=True)
class CustomerFile:
    customers: list[Customer]
    problems: list[Problem]


def _chars(value: str) -> str:
    return f"{len(value)} character{'s' if len(value) != 1 else ''}"


def branch_code(value: str) -> str:
    if not _BRANCH.fullmatch(value):
        raise Invalid(f"must be 3 digits 0-9 (got {_chars(value)})")
    return value


def account_type(value: str) -> int:
    if not _TYPE.fullmatch(value):
        raise Invalid("must be one digit 1-9 (1 普通 and 4 貯蓄 can link)")
    return int(value)


def account_number(value: str) -> str:
    if not _NUMBER.fullmatch(value):
        raise Invalid(f"must be 7 digits 0-9 (got {_chars(value)})")
    return value


def birth_date(value: str, today: date) -> date:
    if not _DATE.fullmatch(value):
        raise Invalid("must be a date written YYYY-MM-DD")
    try:
        born = date.fromisoformat(value)
    except ValueError:
        raise Invalid("is not a real date (YYYY-MM-DD)") from None
    if born > today:
        raise Invalid("is in the future")
    if born < EARLIEST_BIRTH_DATE:
        raise Invalid(f"is before {EARLIEST_BIRTH_DATE.year}")
    return born


def name_kana(value: str) -> str:
    kana = " ".join(unicodedata.normalize("NFKC", value).split())
    if not kana:
        raise Invalid("is empty")
    if not _KANA.fullmatch(kana):
        raise Invalid("must be katakana and spaces only")
    return kana


def phones(value: str) -> tuple[str, ...]:
    """E.164 numbers from ``;``-separated domestic or international ones, duplicates dropped."""
    parts = [part for part in unicodedata.normalize("NFKC", value).split(";") if part.strip()]
    if not parts:
        raise Invalid("needs at least one phone number")
    numbers, wrong = [], []
    for position, part in enumerate(parts, 1):
        try:
            numbers.append(normalise(part))
        except InvalidPhoneNumber as error:
            wrong.append(f"number {position} of {len(parts)}: {error}")
    if wrong:
        raise Invalid("; ".join(wrong))
    return tuple(dict.fromkeys(numbers))


def pin(value: str) -> str:
    if not _PIN.fullmatch(value):
        raise Invalid(f"must be exactly 4 digits 0-9 (got {_chars(value)})")
    return value


def pin_hash(value: str) -> str:
    try:
        parsed = argon2.from_string(value)
    except (ValueError, TypeError):
        raise Invalid("must be an argon2 hash ($argon2id$v=19$m=...)") from None
    if parsed.type != "id":
        raise Invalid("must be an argon2id hash")
    return value


def cash_card(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise Invalid("must be true or false")
    return value.lower() == "true"


def status(value: str) -> tuple[str, str | None]:
    """(status, moved_to): ``active``, ``closed`` or ``moved:BBB-T-NNNNNNN``."""
    if value in ("active", "closed"):
        return value, None
    moved = _MOVED.fullmatch(value)
    if not moved:
        raise Invalid("must be active, closed or moved:BBB-T-NNNNNNN")
    return "moved", "-".join(moved.groups())


def check_header(header: list[str]) -> list[str]:
    """What is wrong with the header row (an empty list when nothing is)."""
    names = [name.strip() for name in header]
    required = [c for c in COLUMNS if c != "pin"]
    wrong = [f"missing column {c}" for c in required if c not in names]
    pins = [c for c in PIN_COLUMNS if c in names]
    if not pins:
        wrong.append("missing column pin (or pin_hash)")
    if len(pins) > 1:
        wrong.append("give either pin or pin_hash, not both")
    wrong += [f"unknown column {name or '(empty)'}" for name in names if name not in (*COLUMNS, *PIN_COLUMNS)]
    wrong += [f"column {name} appears twice" for name in dict.fromkeys(n for n in names if names.count(n) > 1)]
    return wrong


def _fields(today: date) -> dict[str, Callable[[str], Any]]:
    return {
        "branch_code": branch_code, "account_type": account_type, "account_number": account_number,
        "birth_date": lambda v: birth_date(v, today), "name_kana": name_kana, "phones": phones,
        "pin": pin, "pin_hash": pin_hash, "cash_card": cash_card, "status": status,
    }


def read_row(line: int, row: Mapping[str, str], today: date) -> tuple[Customer | None, list[Problem]]:
    """One data row: the customer, or every problem of the row."""
    values: dict[str, Any] = {}
    problems = []
    for column, parse in _fields(today).items():
        if column not in row:
            continue
        try:
            values[column] = parse(row[column].strip())
        except Invalid as error:
            problems.append(Problem(line, column, str(error)))
    if problems:
        return None, problems
    values["status"], values["moved_to"] = values["status"]
    customer = Customer(line=line, **values)
    if customer.moved_to == "-".join(map(str, customer.key)):
        return None, [Problem(line, "status", "an account cannot move to itself")]
    return customer, []


class Unreadable(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank CSV record; the line is where the record ends."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            if any(value.strip() for value in record):
                yield reader.line_num, record
    except csv.Error as error:
        raise Unreadable(reader.line_num, f"not readable as CSV: {error}") from None


def _field_count_problem(found: int, names: list[str]) -> str:
    message = f"has {found} fields where the header names {len(names)}"
    if found > len(names) and "pin_hash" in names:
        message += ' (an argon2 hash holds commas: write it in quotes, "$argon2id$v=19$m=...,t=...,p=...$...")'
    return message


def read_customers(text: str, *, today: date) -> CustomerFile:
    """Every customer of the extract, or every problem found in it."""
    try:
        records = list(_records(text.removeprefix("\ufeff")))
    except Unreadable as error:
        return CustomerFile([], [Problem(error.line, None, str(error))])
    if not records:
        return CustomerFile([], [Problem(1, None, "the file is empty; the first line must name the columns")])
    header_line, header = records[0]
    if wrong := check_header(header):
        return CustomerFile([], [Problem(header_line, None, message) for message in wrong])
    names = [name.strip() for name in header]
    customers, problems, rows = [], [], []
    for line, record in records[1:]:
        if len(record) != len(names):
            problems.append(Problem(line, None, _field_count_problem(len(record), names)))
            continue
        rows.append((line, dict(zip(names, record))))
        customer, found = read_row(line, rows[-1][1], today)
        problems += found
        if customer:
            customers.append(customer)
    problems += _repeated_accounts(rows)
    return CustomerFile(customers if not problems else [], sorted(problems, key=lambda p: p.line))


def _repeated_accounts(rows: list[tuple[int, dict[str, str]]]) -> list[Problem]:
    """One account on two lines (even where a line has other problems) leaves it unclear which is right."""
    first: dict[tuple[str, ...], int] = {}
    problems = []
    for line, row in rows:
        key = tuple(row[column].strip() for column in COLUMNS[:3])
        seen = first.setdefault(key, line)
        if seen != line:
            problems.append(Problem(line, "account_number", f"the same account as line {seen}"))
    return problems
