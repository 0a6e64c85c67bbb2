from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.policy.phone_numbers import (
    WITHHELD_CALLER_IDS,
    InvalidPhoneNumber,
    format_domestic,
    mask,
    normalise,
    parse_caller,
)

VALID = [
    ("a mobile with hyphens", "090-1234-5678", "+819012345678"),
    ("a mobile without separators", "09012345678", "+819012345678"),
    ("an 080 mobile", "080-2222-3333", "+818022223333"),
    ("a 070 mobile", "070-3333-4444", "+817033334444"),
    ("an 050 IP phone", "050-1234-5678", "+815012345678"),
    ("a mobile with spaces", "090 1234 5678", "+819012345678"),
    ("a mobile with the area part in parentheses", "(090)1234-5678", "+819012345678"),
    ("a mobile with dots", "090.1234.5678", "+819012345678"),
    ("a mobile with surrounding blanks", "  090-1234-5678  ", "+819012345678"),
    ("a mobile with a tab and a newline", "090\t1234\n5678", "+819012345678"),
    ("full-width digits and hyphens", "０９０－１２３４－５６７８", "+819012345678"),
    ("full-width digits without separators", "０９０１２３４５６７８", "+819012345678"),
    ("katakana long vowel marks as hyphens", "090ー1234ー5678", "+819012345678"),
    ("half-width katakana long vowel marks as hyphens", "090ｰ1234ｰ5678", "+819012345678"),
    ("unicode hyphens", "090‐1234‐5678", "+819012345678"),
    ("non-breaking hyphens", "090‑1234‑5678", "+819012345678"),
    ("minus signs", "090−1234−5678", "+819012345678"),
    ("en dashes", "090–1234–5678", "+819012345678"),
    ("horizontal bars", "090―1234―5678", "+819012345678"),
    ("small hyphen-minus", "090﹣1234﹣5678", "+819012345678"),
    ("full-width parentheses", "（０９０）１２３４－５６７８", "+819012345678"),
    ("ideographic spaces", "090\u30001234\u30005678", "+819012345678"),
    ("E.164 already", "+819012345678", "+819012345678"),
    ("+81 with a space and domestic hyphens", "+81 90-1234-5678", "+819012345678"),
    ("+81 with the trunk zero in parentheses", "+81-(0)90-1234-5678", "+819012345678"),
    ("+81 with the trunk zero left in", "+81 090 1234 5678", "+819012345678"),
    ("a full-width plus", "＋８１ ９０ １２３４ ５６７８", "+819012345678"),
    ("0081 international form", "0081 90 1234 5678", "+819012345678"),
    ("0081 with the trunk zero", "0081-(0)90-1234-5678", "+819012345678"),
    ("the 186 show-caller-ID prefix is stripped", "186 090-1234-5678", "+819012345678"),
    ("the 184 hide-caller-ID prefix is stripped", "184-090-1234-5678", "+819012345678"),
    ("186 glued to the number", "18609012345678", "+819012345678"),
    ("184 before a tokyo landline", "184 03-1234-5678", "+81312345678"),
    ("a tokyo landline", "03-1234-5678", "+81312345678"),
    ("an osaka landline", "06-6123-4567", "+81661234567"),
    ("a nagoya landline", "052-451-0000", "+81524510000"),
    ("a sapporo landline", "011-222-3333", "+81112223333"),
    ("a yokohama landline", "045-123-4567", "+81451234567"),
    ("a 4-digit area code", "0166-23-1234", "+81166231234"),
    ("a 5-digit area code", "01456-2-1234", "+81145621234"),
    ("an akita area code that begins with 0184 is not a caller-ID prefix", "0184-22-1234", "+81184221234"),
    ("a landline in parentheses form", "(03)1234-5678", "+81312345678"),
    ("a landline +81 form", "+81 3-1234-5678", "+81312345678"),
    ("0120 toll-free", "0120-123-456", "+81120123456"),
    ("0800 toll-free has 11 digits", "0800-123-4567", "+818001234567"),
    ("0570 navi dial", "0570-000-123", "+81570000123"),
]


@pytest.mark.parametrize(("raw", "expected"), [row[1:] for row in VALID], ids=[row[0] for row in VALID])
def test_normalise_accepts(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


INVALID = [
    ("the empty string", "", "empty"),
    ("blanks only", "   ", "empty"),
    ("hyphens only", "---", "empty"),
    ("letters", "090-1234-abcd", "'a' is not a digit"),
    ("a telephone word", "tel:09012345678", "'t' is not a digit"),
    ("an extension", "03-1234-5678 内線12", "'内' is not a digit"),
    ("a plus in the middle", "090+12345678", "'+' may only come first"),
    ("a mobile one digit short", "090-1234-567", "too short: 10 digits, where mobile numbers have 11"),
    ("a mobile one digit long", "090-1234-56789", "too long: 12 digits, where mobile numbers have 11"),
    ("an IP phone one digit short", "050-1234-567", "too short"),
    ("a landline one digit short", "03-1234-567", "too short: 9 digits, where landline numbers have 10"),
    ("a landline one digit long", "03-1234-56789", "too long: 11 digits, where landline numbers have 10"),
    ("0800 with 10 digits", "0800-123-456", "too short"),
    ("the missing leading zero", "90-1234-5678", "starts with 0"),
    ("a bare 81 without plus", "819012345678", "starts with 0"),
    ("a 00 carrier prefix", "0033-010-1234", "00"),
    ("an 010 international call", "010-81-90-1234-5678", "010"),
    ("an 020 machine number", "020-1234-5678", "020"),
    ("an 060 number", "060-1234-5678", "060"),
    ("a US number", "+1 415 555 1234", "only Japanese numbers"),
    ("a UK number in 00 form", "0044 20 7946 0000", "00"),
    ("+81 alone", "+81", "too short"),
    ("a single zero", "0", "too short"),
    ("184 alone", "184", "starts with 0"),
    ("arabic-indic digits", "٠٩٠١٢٣٤٥٦٧٨", "is not a digit"),
]


@pytest.mark.parametrize(("raw", "problem"), [row[1:] for row in INVALID], ids=[row[0] for row in INVALID])
def test_normalise_refuses(raw: str, problem: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=re.escape(problem)):
        normalise(raw)


def test_invalid_phone_number_is_a_value_error_that_does_not_repeat_the_number() -> None:
    with pytest.raises(ValueError) as caught:
        normalise("090-1234-567")
    assert "1234" not in str(caught.value)


CALLERS = [
    ("a japanese mobile", "+819012345678", "+819012345678"),
    ("a japanese landline", "+81524510000", "+81524510000"),
    ("an american number", "+14155551234", "+14155551234"),
    ("a UK number", "+442079460000", "+442079460000"),
    ("surrounding blanks are ignored", " +819012345678 ", "+819012345678"),
    ("eight digits is the shortest E.164 accepted", "+12345678", "+12345678"),
    ("fifteen digits is the longest", "+123456789012345", "+123456789012345"),
    ("sixteen digits is too long", "+1234567890123456", None),
    ("seven digits is too short", "+1234567", None),
    ("a country code cannot start with 0", "+0123456789", None),
    ("an invalid japanese number", "+8190123", None),
    ("a japanese 020 machine number", "+812012345678", None),
    ("None", None, None),
    ("empty", "", None),
    ("Anonymous", "Anonymous", None),
    ("Restricted", "Restricted", None),
    ("Unavailable", "Unavailable", None),
    ("Unknown", "Unknown", None),
    ("a domestic number is not what twilio sends", "09012345678", None),
    ("a 184 prefix means the caller hid the number", "18409012345678", None),
    ("twilio's ANONYMOUS placeholder", "+266696687", None),
    ("twilio's RESTRICTED placeholder", "+7378742833", None),
    ("twilio's BLOCKED placeholder", "+2562533", None),
    ("twilio's UNAVAILABLE placeholder", "+86282452253", None),
    ("twilio's UNKNOWN placeholder", "+8656696", None),
    ("hyphens are not E.164", "+81-90-1234-5678", None),
    ("a plus lost in form decoding", " 819012345678", None),
]


@pytest.mark.parametrize(("raw", "expected"), [row[1:] for row in CALLERS], ids=[row[0] for row in CALLERS])
def test_parse_caller(raw: str | None, expected: str | None) -> None:
    assert parse_caller(raw) == expected


def test_every_withheld_placeholder_is_refused() -> None:
    assert all(parse_caller(number) is None for number in WITHHELD_CALLER_IDS)


FORMATTED = [
    ("a mobile is 3-4-4", "+819012345678", "090-1234-5678"),
    ("an IP phone is 3-4-4", "+815000000001", "050-0000-0001"),
    ("tokyo is 2-4-4", "+81312345678", "03-1234-5678"),
    ("osaka is 2-4-4", "+81661234567", "06-6123-4567"),
    ("nagoya is 3-3-4", "+81524510000", "052-451-0000"),
    ("sapporo is 3-3-4", "+81112223333", "011-222-3333"),
    ("sendai is 3-3-4", "+81222223333", "022-222-3333"),
    ("niigata is 3-3-4", "+81252223333", "025-222-3333"),
    ("kawasaki is 3-3-4", "+81442223333", "044-222-3333"),
    ("yokohama is 3-3-4", "+81451234567", "045-123-4567"),
    ("kyoto is 3-3-4", "+81752223333", "075-222-3333"),
    ("kobe is 3-3-4", "+81782223333", "078-222-3333"),
    ("hiroshima is 3-3-4", "+81822223333", "082-222-3333"),
    ("fukuoka is 3-3-4", "+81922223333", "092-222-3333"),
    ("kitakyushu is 3-3-4", "+81932223333", "093-222-3333"),
    ("other landlines are 4-2-4", "+81166231234", "0166-23-1234"),
    ("0120 is 4-3-3", "+81120123456", "0120-123-456"),
    ("0570 is 4-3-3", "+81570000123", "0570-000-123"),
    ("0800 is 4-3-4", "+818001234567", "0800-123-4567"),
    ("a domestic input is formatted too", "０９０１２３４５６７８", "090-1234-5678"),
]


@pytest.mark.parametrize(("number", "expected"), [row[1:] for row in FORMATTED], ids=[row[0] for row in FORMATTED])
def test_format_domestic(number: str, expected: str) -> None:
    assert format_domestic(number) == expected


def test_format_domestic_refuses_what_normalise_refuses() -> None:
    with pytest.raises(InvalidPhoneNumber):
        format_domestic("+14155551234")


MASKED = [
    ("a mobile hides its middle four", "+819012345678", "090-****-5678"),
    ("a nagoya landline hides its middle three", "+81524510000", "052-***-0000"),
    ("a tokyo landline hides its middle four", "+81312345678", "03-****-5678"),
    ("a 4-2-4 landline hides its middle two", "+81166231234", "0166-**-1234"),
    ("a 0120 number hides its middle three", "+81120123456", "0120-***-456"),
    ("a domestic input is masked the same way", "090-1234-5678", "090-****-5678"),
    ("a foreign number shows its last four only", "+14155551234", "****1234"),
    ("a broken number shows its last four only", "090-1234-567", "****4567"),
    ("full-width digits in a broken number are read", "１２３４５６７", "****4567"),
    ("text without digits shows nothing", "Anonymous", "****"),
    ("a very short number shows what it has", "12", "****12"),
    ("empty shows nothing", "", "****"),
]


@pytest.mark.parametrize(("number", "expected"), [row[1:] for row in MASKED], ids=[row[0] for row in MASKED])
def test_mask(number: str, expected: str) -> None:
    assert mask(number) == expected


# Hypothesis: valid numbers, written the many ways people write them.
_MOBILE = st.builds(lambda p, rest: p + rest, st.sampled_from(["070", "080", "090", "050"]), st.text("0123456789", min_size=8, max_size=8))
_TOLL_FREE = st.builds(lambda rest: "0800" + rest, st.text("0123456789", min_size=7, max_size=7))
# Ten digits: 0, a non-zero digit, a digit that is not 0 (0X0 is never a landline), then seven.
_LANDLINE = st.builds(
    lambda a, b, rest: "0" + a + b + rest,
    st.sampled_from("123456789"),
    st.sampled_from("123456789"),
    st.text("0123456789", min_size=7, max_size=7),
)
DOMESTIC = st.one_of(_MOBILE, _TOLL_FREE, _LANDLINE)
_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@st.composite
def written(draw: st.DrawFn) -> tuple[str, str]:
    """(a valid domestic number, the same number as somebody might type it)."""
    digits = draw(DOMESTIC)
    separator = draw(st.sampled_from(["", "-", " ", "－", "ー", "‐", "−", "‑", "\u3000"]))
    text = separator.join(format_domestic(digits).split("-"))
    prefix = draw(st.sampled_from(["", "186", "184 ", "+81 ", "+81-(0)", "0081 "]))
    if prefix.startswith(("+", "00")):
        text = text[1:]  # international form drops the trunk 0 (or writes it as "(0)")
    text = prefix + text
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return digits, text


@settings(deadline=None)
@given(written())
def test_normalise_reads_every_way_of_writing_a_number(case: tuple[str, str]) -> None:
    digits, text = case
    assert normalise(text) == "+81" + digits[1:]


@settings(deadline=None)
@given(written())
def test_formatting_round_trips(case: tuple[str, str]) -> None:
    _, text = case
    e164 = normalise(text)
    assert normalise(format_domestic(e164)) == e164
    assert normalise(e164) == e164
    assert parse_caller(e164) == e164


@settings(deadline=None)
@given(written())
def test_mask_shows_only_the_prefix_and_the_last_digits(case: tuple[str, str]) -> None:
    digits, text = case
    masked = mask(text)
    first, middle, last = masked.split("-")
    assert set(middle) == {"*"}
    assert digits.startswith(first) and digits.endswith(last) and len(last) <= 4
    assert len(first) + len(middle) + len(last) == len(digits)


@settings(deadline=None)
@given(st.text(max_size=20))
def test_mask_never_shows_more_than_four_digits_of_what_it_cannot_read(text: str) -> None:
    try:
        normalise(text)
    except InvalidPhoneNumber:
        masked = mask(text)
        assert masked.startswith("****") and len(masked) <= 8


@settings(deadline=None)
@given(st.text(max_size=30))
def test_normalise_either_answers_e164_or_says_why_not(text: str) -> None:
    try:
        result = normalise(text)
    except InvalidPhoneNumber as problem:
        assert str(problem)
    else:
        assert re.fullmatch(r"\+81[1-9][0-9]{8,9}", result)
