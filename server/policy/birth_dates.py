"""A date of birth as people write it: Western or Japanese era (和暦), half- or full-width.

Accepted: ``19800401``, ``1980/4/1``, ``1980-4-1``, ``1980.4.1``, ``1980年4月1日``;
``S55.4.1``, ``S55/4/1``, ``S550401``, ``昭和55年4月1日``, ``R2.1.1``, first
years as 元 (``令和元年5月1日``, ``H元.1.8``). Full-width digits and letters,
and the one-character era signs (㍼, ㋿), are read through NFKC first.

An era date must fall inside its era, first and last days included:
昭和64年1月7日 exists, 昭和64年1月8日 does not (that day is 平成元年1月8日).
Meiji is counted from its Gregorian first day, 1868-10-23.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Problem(StrEnum):
    UNREADABLE = "unreadable"        # no form we know
    NO_SUCH_DATE = "no_such_date"    # 2月30日, 13月, or a day outside the era
    FUTURE = "future"


class BirthDateProblem(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Era:
    name: str        # as written in kanji
    letter: str      # as written on forms: M T S H R
    first_day: date
    last_day: date | None


ERAS = (
    Era("明治", "M", date(1868, 10, 23), date(1912, 7, 29)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", date(2019, 5, 1), None),
)
_BY_SIGN = {sign: era for era in ERAS for sign in (era.name, era.name[0], era.letter)}

_ERA_SIGN = "|".join(sorted(_BY_SIGN, key=len, reverse=True))
_YMD_SEPARATED = r"(?P<year>{year})(?:[-/.]|年)(?P<month>[0-9]{{1,2}})(?:[-/.]|月)(?P<day>[0-9]{{1,2}})日?"
_FORMS = (
    re.compile(r"(?P<year>[0-9]{4})(?P<month>[0-9]{2})(?P<day>[0-9]{2})"),
    re.compile(_YMD_SEPARATED.format(year="[0-9]{4}")),
    re.compile(rf"(?P<era>{_ERA_SIGN})\.?(?P<year>[0-9]{{2}})(?P<month>[0-9]{{2}})(?P<day>[0-9]{{2}})"),
    re.compile(rf"(?P<era>{_ERA_SIGN})\.?" + _YMD_SEPARATED.format(year="[0-9]{1,2}|元")),
)


def _read(text: str) -> dict[str, str] | None:
    cleaned = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    for form in _FORMS:
        if match := form.fullmatch(cleaned):
            return match.groupdict()
    return None


def _in_era(era: Era, era_year: int, month: int, day: int) -> date:
    if era_year < 1:
        raise BirthDateProblem(Problem.NO_SUCH_DATE)
    value = _date(era.first_day.year + era_year - 1, month, day)
    if value < era.first_day or (era.last_day is not None and value > era.last_day):
        raise BirthDateProblem(Problem.NO_SUCH_DATE)
    return value


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BirthDateProblem(Problem.NO_SUCH_DATE) from None


def parse_birth_date(text: str, today: date) -> date:
    """The date ``text`` names, or BirthDateProblem saying why there is none (never a guess)."""
    parts = _read(text)
    if parts is None:
        raise BirthDateProblem(Problem.UNREADABLE)
    month, day = int(parts["month"]), int(parts["day"])
    if parts.get("era"):
        era_year = 1 if parts["year"] == "元" else int(parts["year"])
        value = _in_era(_BY_SIGN[parts["era"]], era_year, month, day)
    else:
        value = _date(int(parts["year"]), month, day)
    if value > today:
        raise BirthDateProblem(Problem.FUTURE)
    return value

