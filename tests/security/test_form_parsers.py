"""Every parser of what a person or a program types, under any text at all (hypothesis).

Each one either answers a clean value of the documented shape or says, in its
own words, which field is wrong. None raises anything else, so no input can
turn into a 500 (the fuzz suite and the area tests cover the HTTP side).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request

from ivr.webhook import read_call
from server.clock import TOKYO
from server.flow import fields
from server.oauth.authorize import AuthorizationRequest, AuthorizeError, check_request
from server.staff.maintenance import WindowRefused, read_window
from server.staff.scope import parse_account_key
from server.staff.staff_admin import _member_problems
from server.staff.unlock import Unlock, UnlockRefused, read_unlock
from server.web.forms import MalformedForm, read_form
from server.web.i18n import chosen_language, preferred_language

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
# Anything a browser can send, with the characters that tend to break parsers well represented.
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789０１２３４５６７８９-/ー−‐@.+　 \n\r\t\x00ｱｲｳアイウ", max_size=40),
    st.sampled_from(["", " ", "1980-04-01", "19800401", "2026-02-29", "0000-00-00", "9999-12-31", "1234", "１２３４",
                     "001", "1234567", "taro@example.jp", "ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "+819012345678"]),
)
MAYBE_TEXT = st.none() | TEXT


def _form(*names: str):  # type: ignore[no-untyped-def]
    return st.fixed_dictionaries({}, optional={name: TEXT for name in names})


@given(_form("branch_code", "account_type", "account_number"))
def test_screen_one_reads_any_form_as_an_account_or_field_messages(form: dict[str, str]) -> None:
    parsed = fields.parse_account(form)
    if parsed.ok:
        assert re.fullmatch(r"[0-9]{3}", parsed.values["branch_code"])
        assert parsed.values["account_type"] in range(1, 10)
        assert re.fullmatch(r"[0-9]{7}", parsed.values["account_number"])
    else:
        assert set(parsed.errors) <= {"branch_code", "account_type", "account_number"}


@given(_form("birth_date", "name_kana", "email"))
@example({"birth_date": "2026-11-25", "name_kana": "ヤマダ", "email": "a@b.jp"})
@example({"birth_date": "1899-12-31", "name_kana": "ヤマダ", "email": "a@b.jp"})
def test_screen_two_reads_any_form_as_a_past_birth_date_kana_and_address_or_field_messages(form: dict[str, str]) -> None:
    parsed = fields.parse_customer(form, NOW.date())
    if parsed.ok:
        assert date(1900, 1, 1) <= parsed.values["birth_date"] <= NOW.date()
        assert parsed.values["name_kana"].strip() and "@" in parsed.values["email"]
    else:
        assert set(parsed.errors) <= {"birth_date", "name_kana", "email"}
    assert all(len(value) <= 200 for value in parsed.entered.values())


@given(_form("pin"))
def test_screen_five_reads_any_form_as_four_digits_and_never_keeps_what_was_typed(form: dict[str, str]) -> None:
    parsed = fields.parse_pin(form)
    assert parsed.entered == {}  # a PIN is never written back into the page
    if parsed.ok:
        assert re.fullmatch(r"[0-9]{4}", parsed.values["pin"])
    else:
        assert list(parsed.errors) == ["pin"]


def _request(body: bytes, content_type: str) -> Request:
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():  # type: ignore[no-untyped-def]
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    headers = [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
    return Request({"type": "http", "method": "POST", "path": "/flow/pin", "headers": headers, "query_string": b""}, receive)


@given(body=st.binary(max_size=400) | st.text(max_size=200).map(str.encode),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                                     "multipart/form-data", "text/plain", ""]))
async def test_any_request_body_is_read_as_a_form_or_refused_as_malformed(body: bytes, content_type: str) -> None:
    try:
        form = await read_form(_request(body, content_type))
    except MalformedForm:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in form.items())


@given(kind=MAYBE_TEXT | st.sampled_from(["identity", "pin"]), reason=MAYBE_TEXT)
def test_an_unlock_request_is_read_as_a_kind_and_a_reason_or_refused_with_a_message(kind: str | None, reason: str | None) -> None:
    try:
        unlock = read_unlock(kind, reason)
    except UnlockRefused as refused:
        assert refused.msgid
        return
    assert isinstance(unlock, Unlock) and 0 < len(unlock.reason) <= 200


DATE_TIMES = st.one_of(
    TEXT,
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "9999-12-31T23:59", "2026-11-24T13:00",
                     "2026-11-24 13:00", "2026-11-24T13:00:00Z", "2026-W48-2"]),
)


@given(starts_at=st.none() | DATE_TIMES, ends_at=st.none() | DATE_TIMES, reason=MAYBE_TEXT)
@example(starts_at="0001-01-01T00:00+14:00", ends_at="0001-01-01T01:00+14:00", reason="x")
@example(starts_at="9999-12-31T23:00-14:00", ends_at="9999-12-31T23:59-14:00", reason="x")
def test_a_maintenance_window_is_read_as_a_span_in_japan_time_or_refused_naming_the_field(
    starts_at: str | None, ends_at: str | None, reason: str | None
) -> None:
    try:
        window = read_window(starts_at, ends_at, reason, NOW)
    except WindowRefused as refused:
        assert refused.field in ("starts_at", "ends_at", "reason")
        return
    assert window.starts_at < window.ends_at and window.ends_at > NOW


@given(_form("staff_id", "branch_code", "role", "password"), st.sampled_from(["development", "production"]))
def test_a_new_staff_member_form_is_judged_field_by_field(form: dict[str, str], env: str) -> None:
    problems = _member_problems(form, env, lambda text, **values: text % values if values else text)
    assert set(problems) <= {"staff_id", "branch_code", "role", "password"}


@given(TEXT)
def test_any_text_in_an_account_url_is_an_account_key_or_nothing(text: str) -> None:
    key = parse_account_key(text)
    assert key is None or re.fullmatch(r"[0-9]{3}-[0-9]-[0-9]{7}", str(key))


@given(query=MAYBE_TEXT, header=MAYBE_TEXT)
def test_any_language_asked_for_is_japanese_or_english(query: str | None, header: str | None) -> None:
    assert chosen_language(query) in (None, "ja", "en")
    assert preferred_language(header) in ("ja", "en")


@given(st.dictionaries(st.sampled_from(["CallSid", "To", "From", "Caller", "Called"]), TEXT))
@example({"CallSid": "CA" + "0" * 32, "To": "+815000000001", "From": "anonymous"})
def test_any_twilio_form_is_a_call_with_an_e164_caller_or_withheld_or_nothing(form: dict[str, str]) -> None:
    call = read_call(ImmutableMultiDict(form))
    if call is not None:
        assert call.caller is None or re.fullmatch(r"\+[0-9]{8,15}", call.caller)
        assert call.caller_masked and (call.caller is None or call.caller not in call.caller_masked)


APP = {"client_id": "app", "kind": "app", "profile": "sandbox", "scopes": ["accounts:read", "transactions:read"],
       "redirect_uris": ["https://app.example.jp/cb"], "require_par": False}
AUTHORIZE_NAMES = ["response_type", "response_mode", "code_challenge", "code_challenge_method", "scope", "state", "prompt",
                   "dpop_jkt", "request", "_repeated"]


@given(st.fixed_dictionaries({"redirect_uri": st.just("https://app.example.jp/cb")},
                             optional={name: TEXT | st.sampled_from(["code", "S256", "query", "a" * 43]) for name in AUTHORIZE_NAMES}))
def test_any_authorization_request_is_accepted_or_answered_with_an_oauth_error(params: dict[str, str]) -> None:
    try:
        checked = check_request(APP, params)  # type: ignore[arg-type]
    except AuthorizeError as error:
        assert re.fullmatch(r"[a-z_]+", error.error)
        return
    assert isinstance(checked, AuthorizationRequest) and set(checked.scopes) <= set(APP["scopes"])


def test_good_input_is_accepted_so_the_properties_above_are_not_all_refusals() -> None:
    """A sanity check that the strategies are not all refusals: the sample values include good input."""
    assert fields.parse_account({"branch_code": "001", "account_type": "1", "account_number": "1234567"}).ok
    assert fields.parse_customer({"birth_date": "1980-04-01", "name_kana": "ヤマダ タロウ", "email": "taro@example.jp"}, NOW.date()).ok
    with pytest.raises(WindowRefused):
        read_window("2026-11-24T13:00", "2026-11-24T12:00", "x", NOW)
