from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.policy.locks import (
    FailureOutcome,
    LockKind,
    failures_today,
    judge_failure,
    lock_lifts_at,
    tokyo_day,
)
from server.reasons import Reason

TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = timezone.utc


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def la(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOS_ANGELES)


TOKYO_DAYS = [
    ("noon tokyo is that day", jst("2026-06-10T12:00"), date(2026, 6, 10)),
    ("00:00:00 tokyo is the new day", jst("2026-06-10T00:00"), date(2026, 6, 10)),
    ("23:59:59.999999 tokyo is still that day", jst("2026-06-10T23:59:59.999999"), date(2026, 6, 10)),
    ("14:59:59Z is still the previous tokyo day", utc("2026-06-09T14:59:59"), date(2026, 6, 9)),
    ("15:00Z is already the next tokyo day", utc("2026-06-09T15:00"), date(2026, 6, 10)),
    ("08:00 PDT is 00:00 the next tokyo day", la("2026-06-09T08:00"), date(2026, 6, 10)),
    ("07:59 PDT is still the same tokyo day", la("2026-06-09T07:59"), date(2026, 6, 9)),
    ("07:00 PST is 00:00 the next tokyo day", la("2026-01-09T07:00"), date(2026, 1, 10)),
    ("31 december 23:59:59 tokyo is still the old year", jst("2026-12-31T23:59:59"), date(2026, 12, 31)),
    ("15:00Z on 31 december is new year's day in tokyo", utc("2026-12-31T15:00"), date(2027, 1, 1)),
    ("15:00Z on 28 february 2028 is the leap day in tokyo", utc("2028-02-28T15:00"), date(2028, 2, 29)),
]


@pytest.mark.parametrize(("now", "expected"), [row[1:] for row in TOKYO_DAYS], ids=[row[0] for row in TOKYO_DAYS])
def test_tokyo_day(now: datetime, expected: date) -> None:
    assert tokyo_day(now) == expected


LIFTS = [
    ("a lock engaged at 10:00 lifts at the next midnight", jst("2026-06-10T10:00"), jst("2026-06-11T00:00")),
    ("a lock engaged at exactly 00:00:00 lasts a full day", jst("2026-06-10T00:00"), jst("2026-06-11T00:00")),
    ("a lock engaged at 00:00:00.000001 lifts at the next midnight", jst("2026-06-10T00:00:00.000001"), jst("2026-06-11T00:00")),
    ("a lock engaged at 23:59:59.999999 lifts a microsecond later", jst("2026-06-10T23:59:59.999999"), jst("2026-06-11T00:00")),
    ("14:59Z is 23:59 tokyo: lifts at 15:00Z", utc("2026-06-10T14:59"), jst("2026-06-11T00:00")),
    ("15:00Z is 00:00 tokyo: lifts a day later", utc("2026-06-10T15:00"), jst("2026-06-12T00:00")),
    ("07:59 PDT lifts at 08:00 PDT", la("2026-06-10T07:59"), jst("2026-06-11T00:00")),
    ("08:00 PDT is tokyo midnight: lifts a day later", la("2026-06-10T08:00"), jst("2026-06-12T00:00")),
    ("on the los angeles DST change day tokyo midnight still decides", la("2026-03-08T06:00"), jst("2026-03-09T00:00")),
    ("31 december 23:00 lifts on new year's day", jst("2026-12-31T23:00"), jst("2027-01-01T00:00")),
    ("28 february 2028 lifts on the leap day", jst("2028-02-28T12:00"), jst("2028-02-29T00:00")),
    ("the leap day lifts on 1 march", jst("2028-02-29T12:00"), jst("2028-03-01T00:00")),
]


@pytest.mark.parametrize(("now", "expected"), [row[1:] for row in LIFTS], ids=[row[0] for row in LIFTS])
def test_lock_lifts_at(now: datetime, expected: datetime) -> None:
    lifts = lock_lifts_at(now)
    assert lifts == expected
    assert lifts.tzinfo == TOKYO
    assert timedelta(0) < lifts - now <= timedelta(days=1)


JUDGEMENTS = [
    ("the 1st identity failure of 3 is B82", LockKind.IDENTITY, 1, 3, FailureOutcome(1, False, Reason.B82)),
    ("the 2nd identity failure of 3 is B82", LockKind.IDENTITY, 2, 3, FailureOutcome(2, False, Reason.B82)),
    ("the 3rd identity failure of 3 engages the lock: B83", LockKind.IDENTITY, 3, 3, FailureOutcome(3, True, Reason.B83)),
    ("a 4th identity failure that raced past the lock is B84", LockKind.IDENTITY, 4, 3, FailureOutcome(4, True, Reason.B84)),
    ("the 1st pin failure of 3 is B87", LockKind.PIN, 1, 3, FailureOutcome(1, False, Reason.B87)),
    ("the 2nd pin failure of 3 is B87", LockKind.PIN, 2, 3, FailureOutcome(2, False, Reason.B87)),
    ("the 3rd pin failure of 3 engages the lock: B88", LockKind.PIN, 3, 3, FailureOutcome(3, True, Reason.B88)),
    ("a 5th pin failure that raced past the lock is B84", LockKind.PIN, 5, 3, FailureOutcome(5, True, Reason.B84)),
    ("with a limit of 1 the first identity failure locks", LockKind.IDENTITY, 1, 1, FailureOutcome(1, True, Reason.B83)),
    ("with a limit of 1 the first pin failure locks", LockKind.PIN, 1, 1, FailureOutcome(1, True, Reason.B88)),
    ("with a limit of 5 the 4th pin failure is still B87", LockKind.PIN, 4, 5, FailureOutcome(4, False, Reason.B87)),
    ("the kind may be given as its string", "pin", 3, 3, FailureOutcome(3, True, Reason.B88)),
]


@pytest.mark.parametrize(
    ("kind", "failures_after", "limit", "expected"),
    [row[1:] for row in JUDGEMENTS],
    ids=[row[0] for row in JUDGEMENTS],
)
def test_judge_failure(kind: LockKind, failures_after: int, limit: int, expected: FailureOutcome) -> None:
    assert judge_failure(kind, failures_after, limit) == expected


BAD_JUDGEMENTS = [
    ("zero failures is not a failure", LockKind.PIN, 0, 3, ValueError),
    ("a limit of zero is refused", LockKind.IDENTITY, 1, 0, ValueError),
    ("an unknown kind is refused", "password", 1, 3, ValueError),
]


@pytest.mark.parametrize(
    ("kind", "failures_after", "limit", "error"),
    [row[1:] for row in BAD_JUDGEMENTS],
    ids=[row[0] for row in BAD_JUDGEMENTS],
)
def test_judge_failure_refuses_nonsense(kind: LockKind, failures_after: int, limit: int, error: type) -> None:
    with pytest.raises(error):
        judge_failure(kind, failures_after, limit)


TODAY = [
    ("no failure recorded counts zero", 2, None, jst("2026-06-10T12:00"), 0),
    ("failures earlier today count", 2, jst("2026-06-10T00:00"), jst("2026-06-10T23:59:59"), 2),
    ("failures yesterday at 23:59:59 do not count", 2, jst("2026-06-09T23:59:59"), jst("2026-06-10T00:00"), 0),
    ("14:59Z yesterday is the previous tokyo day", 2, utc("2026-06-09T14:59"), jst("2026-06-10T09:00"), 0),
    ("15:00Z yesterday is already today in tokyo", 2, utc("2026-06-09T15:00"), jst("2026-06-10T09:00"), 2),
    ("failures on 31 december do not count on new year's day", 1, jst("2026-12-31T23:00"), jst("2027-01-01T01:00"), 0),
]


@pytest.mark.parametrize(
    ("failures", "last_failure_at", "now", "expected"), [row[1:] for row in TODAY], ids=[row[0] for row in TODAY]
)
def test_failures_today(failures: int, last_failure_at: datetime | None, now: datetime, expected: int) -> None:
    assert failures_today(failures, last_failure_at, now) == expected


NAIVE = datetime(2026, 6, 10, 12, 0)
NAIVE_CALLS = [
    ("tokyo_day refuses a naive datetime", lambda: tokyo_day(NAIVE)),
    ("lock_lifts_at refuses a naive datetime", lambda: lock_lifts_at(NAIVE)),
    ("failures_today refuses a naive now", lambda: failures_today(1, jst("2026-06-10T12:00"), NAIVE)),
]


@pytest.mark.parametrize("call", [row[1] for row in NAIVE_CALLS], ids=[row[0] for row in NAIVE_CALLS])
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call()


def test_a_lock_engaged_on_new_years_eve_lifts_at_tokyo_midnight() -> None:
    engaged = utc("2026-12-31T14:30")  # 23:30 on new year's eve in Tokyo
    assert lock_lifts_at(engaged).isoformat() == "2027-01-01T00:00:00+09:00"


def test_lock_kinds_are_the_staff_api_keys() -> None:
    assert [str(kind) for kind in LockKind] == ["identity", "pin"]
