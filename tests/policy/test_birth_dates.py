from __future__ import annotations

from datetime import date

import pytest

from server.policy.birth_dates import BirthDateProblem, Problem, parse_birth_date

TODAY = date(2026, 12, 7)

READS = [
    ("eight digits", "19800401", date(1980, 4, 1)),
    ("slashes without leading zeros", "1980/4/1", date(1980, 4, 1)),
    ("hyphens without leading zeros", "1980-4-1", date(1980, 4, 1)),
    ("hyphens with leading zeros (the contract's form)", "1980-04-01", date(1980, 4, 1)),
    ("dots", "1980.4.1", date(1980, 4, 1)),
    ("kanji year month day", "1980年4月1日", date(1980, 4, 1)),
    ("full-width digits", "１９８０／４／１", date(1980, 4, 1)),
    ("full-width eight digits", "１９８００４０１", date(1980, 4, 1)),
    ("spaces around and inside", " 1980 / 4 / 1 ", date(1980, 4, 1)),
    ("Showa by letter", "S55.4.1", date(1980, 4, 1)),
    ("Showa by lower-case letter", "s55.4.1", date(1980, 4, 1)),
    ("Showa by full-width letter", "Ｓ５５．４．１", date(1980, 4, 1)),
    ("Showa by letter with slashes", "S55/4/1", date(1980, 4, 1)),
    ("Showa by letter, six digits", "S550401", date(1980, 4, 1)),
    ("Showa in kanji", "昭和55年4月1日", date(1980, 4, 1)),
    ("Showa by its first kanji", "昭55.4.1", date(1980, 4, 1)),
    ("Showa as one sign (㍼)", "㍼55年4月1日", date(1980, 4, 1)),
    ("Showa 60", "S60.6.30", date(1985, 6, 30)),
    ("Reiwa by letter", "R2.1.1", date(2020, 1, 1)),
    ("Reiwa as one sign (㋿)", "㋿2年1月1日", date(2020, 1, 1)),
    ("Heisei by letter", "H7.12.31", date(1995, 12, 31)),
    ("Taisho", "大正15年12月24日", date(1926, 12, 24)),
    ("Meiji", "明治45年7月29日", date(1912, 7, 29)),
    # The eras' first and last days.
    ("Meiji's first day", "明治元年10月23日", date(1868, 10, 23)),
    ("Meiji's last day", "M45.7.29", date(1912, 7, 29)),
    ("Taisho's first day, first year as 元", "大正元年7月30日", date(1912, 7, 30)),
    ("Taisho's last day", "T15.12.24", date(1926, 12, 24)),
    ("Showa's first day", "昭和元年12月25日", date(1926, 12, 25)),
    ("Showa's last day", "昭和64年1月7日", date(1989, 1, 7)),
    ("Heisei's first day", "平成元年1月8日", date(1989, 1, 8)),
    ("Heisei's first day by letter and 元", "H元.1.8", date(1989, 1, 8)),
    ("Heisei's last day", "平成31年4月30日", date(2019, 4, 30)),
    ("Reiwa's first day", "令和元年5月1日", date(2019, 5, 1)),
    ("Reiwa 1 written as 1", "R1.5.1", date(2019, 5, 1)),
    ("a leap day", "2000/2/29", date(2000, 2, 29)),
    ("today", "2026/12/7", TODAY),
]


@pytest.mark.parametrize(("text", "expected"), [row[1:] for row in READS], ids=[row[0] for row in READS])
def test_every_way_a_person_writes_a_birth_date_reads_as_that_date(text, expected):
    assert parse_birth_date(text, TODAY) == expected


REFUSALS = [
    ("Showa 64 after 7 January (that day is Heisei)", "昭和64年1月8日", Problem.NO_SUCH_DATE),
    ("Heisei before its first day", "平成元年1月7日", Problem.NO_SUCH_DATE),
    ("Heisei 31 after 30 April (that day is Reiwa)", "平成31年5月1日", Problem.NO_SUCH_DATE),
    ("Reiwa before its first day", "令和元年4月30日", Problem.NO_SUCH_DATE),
    ("Taisho 15 after 24 December", "大正15年12月25日", Problem.NO_SUCH_DATE),
    ("Meiji 45 after 29 July", "明治45年7月30日", Problem.NO_SUCH_DATE),
    ("Meiji before its Gregorian first day", "明治元年10月22日", Problem.NO_SUCH_DATE),
    ("Showa 0", "S0.4.1", Problem.NO_SUCH_DATE),
    ("Showa 70", "S70.1.1", Problem.NO_SUCH_DATE),
    ("30 February", "1980/2/30", Problem.NO_SUCH_DATE),
    ("29 February of a common year", "19810229", Problem.NO_SUCH_DATE),
    ("month 13", "1980-13-01", Problem.NO_SUCH_DATE),
    ("day 0", "S55.4.0", Problem.NO_SUCH_DATE),
    ("tomorrow", "2026/12/8", Problem.FUTURE),
    ("Reiwa far ahead", "R30.1.1", Problem.FUTURE),
    ("a two-digit year without an era", "55.4.1", Problem.UNREADABLE),
    ("an unknown era letter", "X55.4.1", Problem.UNREADABLE),
    ("seven digits", "1980041", Problem.UNREADABLE),
    ("words", "April 1st 1980", Problem.UNREADABLE),
    ("mixed separators with a missing part", "1980//1", Problem.UNREADABLE),
    ("empty", "", Problem.UNREADABLE),
]


@pytest.mark.parametrize(("text", "problem"), [row[1:] for row in REFUSALS], ids=[row[0] for row in REFUSALS])
def test_a_date_that_does_not_exist_or_cannot_be_read_is_refused_with_its_reason(text, problem):
    with pytest.raises(BirthDateProblem) as refused:
        parse_birth_date(text, TODAY)
    assert refused.value.problem is problem

