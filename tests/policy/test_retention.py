"""What housekeeping may delete: each table's rows described, with the verdict expected."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from server.clock import TOKYO
from server.policy.retention import Table, cutoffs, may_go
from server.settings import RetentionSettings, load_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
SETTINGS = load_settings(environ={"RENKEI_ENV": "development"})
DEFAULTS = RetentionSettings()


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def later(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


def grant_token(issued: datetime, *, grant_expires: datetime, revoked: datetime | None = None, **row: object) -> dict:
    return {"issued_at": issued, "grant_expires_at": grant_expires, "grant_revoked_at": revoked, **row}


CASES = [
    (Table.DPOP_PROOF, "an id whose proof could still be presented stays", {"forget_after": later(seconds=30)}, False),
    (Table.DPOP_PROOF, "an id whose proof can no longer be presented goes", {"forget_after": ago(seconds=1)}, True),
    (Table.ACCESS_TOKEN, "a revoked token not yet expired stays: the revocation set loads it",
     {"expires_at": later(minutes=5), "revoked_at": ago(minutes=1)}, False),
    (Table.ACCESS_TOKEN, "a token expired an hour ago stays for a day", {"expires_at": ago(hours=1), "revoked_at": None}, False),
    (Table.ACCESS_TOKEN, "a token expired two days ago goes, whatever its grant", {"expires_at": ago(days=2), "revoked_at": None}, True),
    (Table.REFRESH_TOKEN, "a rotated token of a live grant stays: presented again it must revoke the grant",
     grant_token(ago(days=80), grant_expires=later(days=10), rotated_at=ago(days=79)), False),
    (Table.REFRESH_TOKEN, "a token of a grant that ended 10 days ago stays: a replay is still recorded",
     grant_token(ago(days=100), grant_expires=ago(days=10)), False),
    (Table.REFRESH_TOKEN, "a token of a grant that ended 31 days ago goes",
     grant_token(ago(days=121), grant_expires=ago(days=31)), True),
    (Table.REFRESH_TOKEN, "a token of a grant revoked 40 days ago waits until 120 days after it was issued",
     grant_token(ago(days=50), grant_expires=later(days=40), revoked=ago(days=40)), False),
    (Table.REFRESH_TOKEN, "a token issued 121 days ago of a grant revoked 100 days ago goes",
     grant_token(ago(days=121), grant_expires=ago(days=31), revoked=ago(days=100)), True),
    (Table.REFRESH_TOKEN, "an old token of a grant made when grants lasted longer stays while that grant lives",
     grant_token(ago(days=130), grant_expires=later(days=50)), False),
    (Table.AUTHORIZATION_CODE, "an unused code expired a minute ago stays for a day",
     grant_token(ago(minutes=2), grant_expires=later(days=90), used_at=None, expires_at=ago(minutes=1)), False),
    (Table.AUTHORIZATION_CODE, "an unused code expired two days ago goes",
     grant_token(ago(days=2), grant_expires=later(days=88), used_at=None, expires_at=ago(days=2)), True),
    (Table.AUTHORIZATION_CODE, "a used code of a live grant stays: presented again it revokes the grant",
     grant_token(ago(days=2), grant_expires=later(days=88), used_at=ago(days=2), expires_at=ago(days=2)), False),
    (Table.AUTHORIZATION_CODE, "a used code of a grant that ended 31 days ago goes",
     grant_token(ago(days=121), grant_expires=ago(days=31), used_at=ago(days=121), expires_at=ago(days=121)), True),
    (Table.PAR_REQUEST, "a pushed request expired an hour ago stays for a day", {"expires_at": ago(hours=1)}, False),
    (Table.PAR_REQUEST, "a pushed request expired two days ago goes", {"expires_at": ago(days=2)}, True),
    (Table.PHONE_CHECK, "an open check two minutes past its window stays open: a late call hears B85",
     {"state": "open", "expires_at": ago(minutes=2)}, False),
    (Table.PHONE_CHECK, "an open check 23 hours past its window stays open", {"state": "open", "expires_at": ago(hours=23)}, False),
    (Table.PHONE_CHECK, "an open check 25 hours past its window is voided", {"state": "open", "expires_at": ago(hours=25)}, True),
    (Table.PHONE_CHECK, "a matched check is left as it is", {"state": "matched", "expires_at": ago(days=3)}, False),
    (Table.IVR_CALL, "a call of 29 days ago stays", {"received_at": ago(days=29)}, False),
    (Table.IVR_CALL, "a call of 31 days ago goes", {"received_at": ago(days=31)}, True),
    (Table.FLOW, "a flow finished yesterday stays",
     {"last_seen_at": ago(days=1), "finished_at": ago(days=1), "last_call_at": None}, False),
    (Table.FLOW, "a flow finished 8 days ago goes",
     {"last_seen_at": ago(days=8), "finished_at": ago(days=8), "last_call_at": None}, True),
    (Table.FLOW, "a flow abandoned 8 days ago goes", {"last_seen_at": ago(days=8), "finished_at": None, "last_call_at": None}, True),
    (Table.FLOW, "a flow of 8 days ago stays while a call names its phone check",
     {"last_seen_at": ago(days=8), "finished_at": ago(days=8), "last_call_at": ago(days=8)}, False),
    (Table.FLOW, "a flow of 40 days ago goes with the call naming its phone check",
     {"last_seen_at": ago(days=40), "finished_at": ago(days=40), "last_call_at": ago(days=40)}, True),
    (Table.ATTEMPT_THROTTLE, "the current window stays", {"window_ends_at": later(minutes=5)}, False),
    (Table.ATTEMPT_THROTTLE, "a window ended an hour ago stays for a day", {"window_ends_at": ago(hours=1)}, False),
    (Table.ATTEMPT_THROTTLE, "a window ended 25 hours ago goes", {"window_ends_at": ago(hours=25)}, True),
    (Table.STAFF_SESSION, "a session last seen 6 days ago stays", {"last_seen_at": ago(days=6)}, False),
    (Table.STAFF_SESSION, "a session last seen 8 days ago goes", {"last_seen_at": ago(days=8)}, True),
    (Table.EMAIL_OUTBOX, "a notice sent 29 days ago stays", {"created_at": ago(days=29), "sent_at": ago(days=29), "given_up": False}, False),
    (Table.EMAIL_OUTBOX, "a notice sent 31 days ago goes", {"created_at": ago(days=31), "sent_at": ago(days=31), "given_up": False}, True),
    (Table.EMAIL_OUTBOX, "a notice given up on 31 days ago goes: nothing will send it, and it holds an address",
     {"created_at": ago(days=31), "sent_at": None, "given_up": True}, True),
    (Table.EMAIL_OUTBOX, "a notice still being retried stays, however old",
     {"created_at": ago(days=31), "sent_at": None, "given_up": False}, False),
    (Table.ACCOUNT_FAILURE, "today's failures stay: they count towards today's lock",
     {"tokyo_day": NOW.date(), "locked_until": None}, False),
    (Table.ACCOUNT_FAILURE, "yesterday's lock stays, for staff and inquiries",
     {"tokyo_day": NOW.date() - timedelta(days=1), "locked_until": ago(hours=10)}, False),
    (Table.ACCOUNT_FAILURE, "failures of 30 days before today stay",
     {"tokyo_day": NOW.date() - timedelta(days=30), "locked_until": None}, False),
    (Table.ACCOUNT_FAILURE, "failures of 31 days before today go",
     {"tokyo_day": NOW.date() - timedelta(days=31), "locked_until": ago(days=30)}, True),
    (Table.ACCOUNT_FAILURE, "an old row whose lock is somehow still in force stays",
     {"tokyo_day": NOW.date() - timedelta(days=31), "locked_until": later(hours=1)}, False),
]


@pytest.mark.parametrize(("table", "row", "goes"), [(t, row, goes) for t, _, row, goes in CASES],
                         ids=[why for _, why, _, _ in CASES])
def test_each_row_goes_only_when_nothing_reads_it_any_more(table: Table, row: dict, goes: bool) -> None:
    cut = cutoffs(DEFAULTS, SETTINGS.policy, SETTINGS.staff, NOW)
    assert may_go(table, row, cut) is goes


def test_every_table_has_a_rule_and_the_operation_log_none() -> None:
    assert {c[0] for c in CASES} == set(Table)
    assert "operation_log" not in {t.value for t in Table}


def test_a_flow_stays_while_its_phone_check_still_answers_late_calls_however_short_flow_days_is() -> None:
    cut = cutoffs(replace(DEFAULTS, flow_days=1, late_call_hours=72), SETTINGS.policy, SETTINGS.staff, NOW)
    flow = {"last_seen_at": ago(days=2), "finished_at": ago(days=2), "last_call_at": None}
    assert not may_go(Table.FLOW, flow, cut)
    assert not may_go(Table.PHONE_CHECK, {"state": "open", "expires_at": ago(days=2)}, cut)


def test_a_staff_session_is_never_deleted_while_it_could_still_be_used() -> None:
    staff = replace(SETTINGS.staff, session_idle_seconds=3 * 86400)
    cut = cutoffs(replace(DEFAULTS, staff_session_days=1), SETTINGS.policy, staff, NOW)
    assert not may_go(Table.STAFF_SESSION, {"last_seen_at": ago(days=2)}, cut)
    assert may_go(Table.STAFF_SESSION, {"last_seen_at": ago(days=3, seconds=1)}, cut)


def test_the_days_of_failure_counts_are_tokyo_days_whatever_the_zone_of_now() -> None:
    # 00:30 in Tokyo is still the previous day in UTC.
    now = datetime(2026, 11, 24, 0, 30, tzinfo=TOKYO).astimezone(TOKYO.__class__("UTC"))
    cut = cutoffs(DEFAULTS, SETTINGS.policy, SETTINGS.staff, now)
    assert cut.failure_day == datetime(2026, 10, 25).date()
