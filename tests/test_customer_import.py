"""Reading a core-banking extract: every kind of bad value, named by line and column, never repeated."""

from __future__ import annotations

from datetime import date

import pytest

from server.customer_import import COLUMNS, read_customers

TODAY = date(2026, 11, 24)
HEADER = ",".join(COLUMNS)
GOOD = {
    "branch_code": "001", "account_type": "1", "account_number": "1234567", "birth_date": "1980-04-01",
    "name_kana": "ヤマダ タロウ", "phones": "090-1234-5678", "pin": "1234", "cash_card": "true", "status": "active",
}
OTHER = "001,4,7654321,1975-12-31,スズキ ハナコ,052-451-0000,4321,true,active"


def row(**changes: str) -> str:
    return ",".join(changes.get(column, GOOD[column]) for column in COLUMNS)


def extract(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        pytest.param("branch_code", "01", "must be 3 digits", id="a two-digit branch"),
        pytest.param("branch_code", "０01", "must be 3 digits", id="a full-width digit in the branch"),
        pytest.param("account_type", "0", "one digit 1-9", id="account type 0"),
        pytest.param("account_type", "12", "one digit 1-9", id="a two-digit account type"),
        pytest.param("account_number", "123456", "must be 7 digits", id="a six-digit account number"),
        pytest.param("account_number", "123456a", "must be 7 digits", id="a letter in the account number"),
        pytest.param("birth_date", "1980/04/01", "YYYY-MM-DD", id="a birth date with slashes"),
        pytest.param("birth_date", "1980-02-30", "not a real date", id="the 30th of February"),
        pytest.param("birth_date", "2026-11-25", "in the future", id="a birth date tomorrow"),
        pytest.param("birth_date", "1899-12-31", "before 1900", id="a birth date before 1900"),
        pytest.param("name_kana", "", "is empty", id="no kana name"),
        pytest.param("name_kana", "山田 太郎", "katakana", id="a name in kanji"),
        pytest.param("name_kana", "やまだ たろう", "katakana", id="a name in hiragana"),
        pytest.param("phones", "", "at least one phone number", id="no phone"),
        pytest.param("phones", "090-1234-567", "number 1 of 1: too short", id="a mobile number one digit short"),
        pytest.param("phones", "090-1234-5678;+1 212 555 0100", "number 2 of 2: only Japanese numbers", id="a foreign number"),
        pytest.param("phones", "090-1234-5678;tel", "number 2 of 2", id="a word among the numbers"),
        pytest.param("pin", "123", "exactly 4 digits", id="a three-digit pin"),
        pytest.param("pin", "12345", "exactly 4 digits", id="a five-digit pin"),
        pytest.param("pin", "１２３４", "exactly 4 digits", id="a full-width pin"),
        pytest.param("cash_card", "yes", "true or false", id="cash card yes"),
        pytest.param("cash_card", "", "true or false", id="cash card empty"),
        pytest.param("status", "dormant", "active, closed or moved", id="an unknown status"),
        pytest.param("status", "moved:22-1-2222222", "active, closed or moved", id="a move to a two-digit branch"),
        pytest.param("status", "moved:001-1-1234567", "cannot move to itself", id="a move to itself"),
    ],
)
def test_a_bad_value_is_reported_with_its_line_and_column(column: str, value: str, message: str) -> None:
    found = read_customers(extract(OTHER, row(**{column: value})), today=TODAY)

    assert found.customers == []
    assert [(p.line, p.column) for p in found.problems] == [(3, column)]
    assert message in found.problems[0].message
    if value and column in ("pin", "birth_date", "account_number", "phones"):
        assert value not in str(found.problems[0])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(HEADER.replace(",status", ""), "missing column status", id="a missing column"),
        pytest.param(HEADER + ",branch_name", "unknown column branch_name", id="an unknown column"),
        pytest.param(HEADER.replace(",pin,", ","), "missing column pin (or pin_hash)", id="no pin of either kind"),
        pytest.param(HEADER + ",pin_hash", "give either pin or pin_hash, not both", id="both pin and pin_hash"),
        pytest.param(HEADER + ",status", "column status appears twice", id="a column twice"),
    ],
)
def test_a_bad_header_is_reported_on_line_1_and_no_row_is_read(header: str, message: str) -> None:
    found = read_customers(extract(row(), header=header), today=TODAY)

    assert found.customers == []
    assert message in [p.message for p in found.problems if p.line == 1]


def test_an_empty_file_is_refused() -> None:
    found = read_customers("", today=TODAY)
    assert [(p.line, p.message) for p in found.problems] == [(1, "the file is empty; the first line must name the columns")]


def test_a_row_with_too_few_fields_is_reported_without_a_column() -> None:
    found = read_customers(extract(row(), "001,1,7654321"), today=TODAY)
    assert [(p.line, p.column, p.message) for p in found.problems] == [(3, None, "has 3 fields where the header names 9")]


def test_an_unclosed_quote_is_reported_at_its_line() -> None:
    found = read_customers(extract(row(), '"001,1,7654321'), today=TODAY)
    assert [p.line for p in found.problems] == [3]
    assert "not readable as CSV" in found.problems[0].message


def test_one_account_on_two_lines_is_reported_on_the_second() -> None:
    found = read_customers(extract(row(), OTHER, row(pin="9999")), today=TODAY)
    assert [(p.line, p.column, p.message) for p in found.problems] == [(4, "account_number", "the same account as line 2")]


def test_every_problem_of_every_line_is_reported_in_line_order() -> None:
    found = read_customers(extract(row(pin="1"), OTHER, row(account_number="7777777", branch_code="1", cash_card="y")), today=TODAY)
    assert [(p.line, p.column) for p in found.problems] == [(2, "pin"), (4, "branch_code"), (4, "cash_card")]


def test_phones_are_normalised_to_e164_however_they_are_written() -> None:
    written = "090-1234-5678; ０５２－４５１－００００；+81 80 2222 3333;0312345678;090-1234-5678"
    [customer] = read_customers(extract(row(phones=written)), today=TODAY).customers
    assert customer.phones == ("+819012345678", "+81524510000", "+818022223333", "+81312345678")


def test_half_width_kana_and_spaces_are_tidied() -> None:
    [customer] = read_customers(extract(row(name_kana="  ﾔﾏﾀﾞ\u3000 ﾀﾛｳ ")), today=TODAY).customers
    assert customer.name_kana == "ヤマダ タロウ"


def test_a_good_extract_reads_every_field() -> None:
    text = "\ufeff" + extract(row(cash_card="FALSE", status="moved:022-1-2222222"), "", OTHER)
    first, second = read_customers(text, today=TODAY).customers

    assert (first.line, first.key, first.birth_date, first.pin) == (2, ("001", 1, "1234567"), date(1980, 4, 1), "1234")
    assert (first.cash_card, first.status, first.moved_to) == (False, "moved", "022-1-2222222")
    assert (second.line, second.account_type, second.status, second.moved_to) == (4, 4, "active", None)


def test_a_customer_never_shows_its_personal_data_in_repr() -> None:
    [customer] = read_customers(extract(row()), today=TODAY).customers
    shown = repr(customer)
    for value in ("1234567", "1980", "1234", "ヤマダ", "+819012345678"):
        assert value not in shown
    assert customer.masked == "001-1-***4567"
