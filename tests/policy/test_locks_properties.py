"""The lock clock, property by property: whatever the moment and the zone it is given in."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from server.policy.locks import LockKind, failures_today, judge_failure, lock_lifts_at, tokyo_day
from server.reasons import Reason

TOKYO = ZoneInfo("Asia/Tokyo")
ZONES = st.sampled_from([TOKYO, timezone.utc, ZoneInfo("America/Los_Angeles"), ZoneInfo("Pacific/Kiritimati"),
                         ZoneInfo("Pacific/Pago_Pago"), timezone(timedelta(hours=-3, minutes=-30))])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 30), timezones=ZONES)


@given(MOMENTS)
def test_a_lock_lifts_at_the_next_tokyo_midnight_within_a_day(now: datetime) -> None:
    lifts = lock_lifts_at(now)
    assert lifts.astimezone(TOKYO).time() == time(0)
    assert timedelta(0) < lifts - now <= timedelta(days=1)
    assert tokyo_day(lifts) == tokyo_day(now) + timedelta(days=1)


@given(last=MOMENTS, now=MOMENTS, failures=st.integers(min_value=0, max_value=100))
def test_failures_count_only_on_the_tokyo_day_they_happened(last: datetime, now: datetime, failures: int) -> None:
    counted = failures_today(failures, last, now)
    assert counted == (failures if tokyo_day(last) == tokyo_day(now) else 0)


@given(kind=st.sampled_from(LockKind), limit=st.integers(1, 20), failures=st.integers(1, 40))
def test_the_failure_that_reaches_the_limit_locks_and_no_earlier_one_does(kind: LockKind, limit: int, failures: int) -> None:
    outcome = judge_failure(kind, failures, limit)
    assert outcome.locked == (failures >= limit)
    engaged = Reason.B83 if kind is LockKind.IDENTITY else Reason.B88
    failing = Reason.B82 if kind is LockKind.IDENTITY else Reason.B87
    expected = failing if failures < limit else engaged if failures == limit else Reason.B84
    assert outcome.reason is expected
