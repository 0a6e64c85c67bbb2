"""The sliding throttle (pure): never more than the limit in any span of one window, wherever it starts.

Rows describe the failures counted per slice (a tenth of the window) and the
moment of the next attempt; the properties drive whole histories of attempts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.policy.throttles import Rule, Scope, counted_from, decide, slice_at

TOKYO = ZoneInfo("Asia/Tokyo")
IP = Rule(Scope.IP, limit=3, window_seconds=600)  # slices of one minute


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def at(hh_mm: str) -> datetime:
    return jst(f"2026-11-24T{hh_mm}")


# (description, failures per slice start, the attempt's moment, allowed, Retry-After, limit)
ROWS = [
    ("no failure anywhere: allowed", {}, "10:05", True, 0, 3),
    ("one under the limit: allowed", {"10:00": 2}, "10:05", True, 0, 3),
    ("exactly at the limit: refused until that slice is a whole window old", {"10:00": 3}, "10:05", False, 360, 3),
    ("a full slice at the end of one fixed window still counts at the start of the next (no doubling)",
     {"10:09": 3}, "10:10", False, 600, 3),
    ("an empty previous window: only this one's failures count", {"10:10": 2}, "10:15", True, 0, 3),
    ("the clock exactly on the edge where a full slice stops counting: allowed", {"10:00": 3}, "10:11", True, 0, 3),
    ("a microsecond before that edge: refused, Retry-After never zero",
     {"10:00": 3}, "10:10:59.999999", False, 1, 3),
    ("the clock exactly a window after a failure's slice began: it still counts", {"10:00": 3}, "10:10", False, 60, 3),
    ("failures from before the window are forgotten", {"09:00": 50, "09:59": 9}, "10:10", True, 0, 3),
    ("spread over the window: the oldest slice leaving brings it under", {"10:00": 1, "10:03": 1, "10:08": 1},
     "10:09", False, 120, 3),
    ("slices emptied by right answers count nothing", {"10:00": 0, "10:05": 2}, "10:06", True, 0, 3),
    ("a slice ahead of this process's clock counts too", {"10:06": 3}, "10:05:59", False, 661, 3),
    ("over a limit lowered since: wait until enough slices leave", {"10:00": 2, "10:05": 5}, "10:06", False, 600, 3),
    ("a limit of one: one failure fills the window", {"10:07": 1}, "10:07:30", False, 630, 1),
]


@pytest.mark.parametrize(("failures", "now", "allowed", "retry_after", "limit"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_decide(failures: dict[str, int], now: str, allowed: bool, retry_after: int, limit: int) -> None:
    rule = Rule(Scope.IP, limit, 600)
    verdict = decide(rule, at(now), {at(start): n for start, n in failures.items()})
    assert (verdict.allowed, verdict.retry_after) == (allowed, retry_after)


SLICES = [
    ("a ten-minute window is counted in minutes", 600, 60),
    ("a one-minute window in six seconds", 60, 6),
    ("a window that does not divide by ten rounds the slice up", 25, 3),
    ("a slice is never shorter than a second", 7, 1),
]


@pytest.mark.parametrize(("window", "slice_seconds"), [s[1:] for s in SLICES], ids=[s[0] for s in SLICES])
def test_slice_length(window: int, slice_seconds: int) -> None:
    assert Rule(Scope.CLIENT, 60, window).slice_seconds == slice_seconds


def test_the_oldest_counted_slice_is_the_one_a_window_ago() -> None:
    assert counted_from(at("10:10"), IP) == at("10:00")
    assert counted_from(at("10:10:59.999999"), IP) == at("10:00")
    assert counted_from(at("10:11"), IP) == at("10:01")
    assert slice_at(at("10:07:31"), IP).starts_at == at("10:07")


# Histories: gaps between attempts in microseconds, often exactly on slice and window edges.
RULES = st.builds(lambda limit, window: Rule(Scope.IP, limit, window), st.integers(1, 6), st.sampled_from([1, 7, 25, 60, 600]))


def gaps(rule: Rule) -> st.SearchStrategy[int]:
    second = 1_000_000
    edges = [0, 1, rule.slice_seconds * second, rule.window_seconds * second, rule.window_seconds * second - 1,
             (rule.window_seconds + rule.slice_seconds) * second]
    return st.one_of(st.sampled_from(edges), st.integers(0, 2 * rule.window_seconds * second))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Rule, datetime, list[tuple[int, bool]]]:
    rule = draw(RULES)
    start = draw(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(TOKYO)))
    attempts = draw(st.lists(st.tuples(gaps(rule), st.booleans()), max_size=60))  # (gap, a wrong guess?)
    return rule, start, attempts


def play(rule: Rule, start: datetime, attempts: list[tuple[int, bool]]) -> list[datetime]:
    """Attempts one after another, as the server runs them: the times of the wrong guesses that were checked."""
    counts: Counter[datetime] = Counter()
    now, checked_failures = start, []
    for gap, wrong in attempts:
        now += timedelta(microseconds=gap)
        if not decide(rule, now, counts).allowed:
            continue
        if wrong:  # a right answer gives its place back: only failures stay counted
            counts[slice_at(now, rule).starts_at] += 1
            checked_failures.append(now)
    return checked_failures


@given(histories())
def test_no_span_of_one_window_ever_holds_more_than_the_limit(history: tuple[Rule, datetime, list[tuple[int, bool]]]) -> None:
    rule, start, attempts = history
    failures = play(rule, start, attempts)
    window = timedelta(seconds=rule.window_seconds)
    for n, last in enumerate(failures):  # the fullest span ends on a failure; both ends count
        assert n + 1 - bisect_left(failures, last - window) <= rule.limit


@given(histories())
def test_an_attempt_with_fewer_than_the_limit_in_the_last_window_and_slice_is_never_refused(
        history: tuple[Rule, datetime, list[tuple[int, bool]]]) -> None:
    """The price of the guarantee is bounded: a failure is remembered at most one slice longer than the window."""
    rule, start, attempts = history
    failures = play(rule, start, attempts)
    counts = Counter(slice_at(t, rule).starts_at for t in failures)
    remembered = timedelta(seconds=rule.window_seconds + rule.slice_seconds)
    # Some moment after the last failure: the last attempt's gap, once more.
    now = (failures[-1] if failures else start) + timedelta(microseconds=attempts[-1][0] if attempts else 0)
    recent = len(failures) - bisect_right(failures, now - remembered)
    if recent < rule.limit:
        assert decide(rule, now, counts).allowed


@given(rule=RULES, now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(TOKYO)),
       offsets=st.lists(st.integers(-700, 60), min_size=1, max_size=12))
def test_retry_after_is_never_early_and_at_most_a_second_late(rule: Rule, now: datetime, offsets: list[int]) -> None:
    counts = Counter(slice_at(now + timedelta(seconds=o), rule).starts_at for o in offsets)
    verdict = decide(rule, now, counts)
    if verdict.allowed:
        assert verdict.retry_after == 0
        return
    assert verdict.retry_after >= 1
    assert not decide(rule, now + timedelta(seconds=verdict.retry_after - 1), counts).allowed
    assert decide(rule, now + timedelta(seconds=verdict.retry_after), counts).allowed


@given(rule=RULES, zone=st.sampled_from([TOKYO, timezone.utc, ZoneInfo("America/New_York")]),
       now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(TOKYO)),
       offsets=st.lists(st.integers(-700, 60), max_size=12))
def test_the_verdict_does_not_depend_on_the_zone_of_the_clock(rule: Rule, zone: ZoneInfo, now: datetime, offsets: list[int]) -> None:
    counts = Counter(slice_at(now + timedelta(seconds=o), rule).starts_at for o in offsets)
    assert decide(rule, now, counts) == decide(rule, now.astimezone(zone), counts)
