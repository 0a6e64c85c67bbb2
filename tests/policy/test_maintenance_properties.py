"""Properties of the maintenance calendar, checked against an oracle written from
the contract's sentence rather than from the rule classes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from server.policy.maintenance import AdHocWindow, MaintenanceCalendar, default_rules

TOKYO = ZoneInfo("Asia/Tokyo")
CALENDAR = MaintenanceCalendar(default_rules())
ZONES = [TOKYO, timezone.utc, ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Chatham")]
MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)
# The clock readings where something starts or stops, so that edges get hit often.
EDGES = [time(0, 0), time(0, 1), time(2, 0), time(4, 0), time(4, 5), time(6, 0), time(7, 0), time(8, 0), time(19, 0), time(23, 50)]


def contract_says_closed(moment: datetime) -> bool:
    """Contract §4, read literally, one clause per line."""
    t = moment.astimezone(TOKYO)
    hm = (t.hour, t.minute)
    nth = (t.day - 1) // 7 + 1
    sunday = t.date() + timedelta(days=1)
    return (
        hm < (0, 1)
        or (4, 0) <= hm < (4, 5)
        or (t.weekday() == 0 and nth in (1, 3) and 2 <= t.hour < 6)
        or (t.weekday() == 5 and hm >= (23, 50) and (sunday.day - 1) // 7 + 1 in (2, 4))
        or (t.weekday() == 6 and nth in (2, 4) and t.hour < 7)
        or (t.month == 1 and t.day in (1, 2, 3) and (t.hour < 8 or t.hour >= 19))
    )


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    """Aware datetimes in many zones, often a microsecond either side of an edge."""
    day = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2040, 12, 31)))
    if draw(st.booleans()):
        clock = draw(st.sampled_from(EDGES))
        nudge = draw(st.sampled_from([-TICK, timedelta(0), TICK]))
        tokyo = datetime.combine(day, clock, TOKYO) + nudge
    else:
        tokyo = datetime.combine(day, draw(st.times()), TOKYO)
    return tokyo.astimezone(draw(st.sampled_from(ZONES)))


@settings(deadline=None)
@given(moments())
def test_is_closed_agrees_with_the_contract_sentence(moment: datetime) -> None:
    assert CALENDAR.is_closed(moment) is contract_says_closed(moment)


@settings(deadline=None)
@given(moments())
def test_closed_iff_a_nearby_window_contains_the_moment(moment: datetime) -> None:
    nearby = CALENDAR.windows_between(moment - timedelta(days=1), moment + timedelta(days=1))
    assert CALENDAR.is_closed(moment) is any(w.contains(moment) for w in nearby)


@settings(deadline=None)
@given(moments())
def test_window_at_is_one_of_the_windows_between(moment: datetime) -> None:
    window = CALENDAR.window_at(moment)
    if window is None:
        assert not CALENDAR.is_closed(moment)
        return
    assert window.contains(moment)
    assert window in CALENDAR.windows_between(moment - timedelta(days=3), moment + timedelta(days=3))


@settings(deadline=None)
@given(moments())
def test_reopens_at_is_the_first_open_moment(moment: datetime) -> None:
    reopens = CALENDAR.reopens_at(moment)
    if not CALENDAR.is_closed(moment):
        assert reopens is None
        return
    assert reopens is not None and reopens > moment
    assert not contract_says_closed(reopens)
    # Every edge is on a whole minute, so checking each minute in between suffices.
    step = moment.astimezone(TOKYO).replace(second=0, microsecond=0)
    while step < reopens:
        assert contract_says_closed(max(step, moment)), step
        step += MINUTE


@settings(deadline=None)
@given(moments())
def test_a_window_is_open_just_before_it_starts(moment: datetime) -> None:
    window = CALENDAR.window_at(moment)
    if window is not None:
        assert not CALENDAR.is_closed(window.starts_at - TICK)
        assert not CALENDAR.is_closed(window.ends_at)
        assert CALENDAR.is_closed(window.ends_at - TICK)


@settings(deadline=None)
@given(moments(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)))
def test_windows_between_are_sorted_apart_and_overlap_the_range(start: datetime, length: timedelta) -> None:
    end = start + length
    found = CALENDAR.windows_between(start, end)
    assert all(a.ends_at < b.starts_at for a, b in zip(found, found[1:]))
    assert all(w.starts_at < end and start < w.ends_at for w in found)
    assert all(w.starts_at.tzinfo == TOKYO and w.ends_at.tzinfo == TOKYO for w in found)


@settings(deadline=None)
@given(moments(), st.sampled_from(ZONES))
def test_the_answer_does_not_depend_on_the_zone_of_the_question(moment: datetime, zone: ZoneInfo) -> None:
    elsewhere = moment.astimezone(zone)
    assert CALENDAR.window_at(moment) == CALENDAR.window_at(elsewhere)


@settings(deadline=None)
@given(moments(), st.integers(min_value=1, max_value=600), st.integers(min_value=-120, max_value=720))
def test_an_ad_hoc_window_closes_exactly_its_span(start: datetime, minutes: int, probe_minutes: int) -> None:
    ad_hoc = AdHocWindow(start, start + timedelta(minutes=minutes), "臨時")
    calendar = MaintenanceCalendar(default_rules(), (ad_hoc,))
    for probe in (start + timedelta(minutes=probe_minutes), start, ad_hoc.ends_at, start - TICK):
        inside = start <= probe < ad_hoc.ends_at
        assert calendar.is_closed(probe) is (inside or contract_says_closed(probe))
