from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.policy.maintenance import (
    AdHocWindow,
    BeforeNthSundayWindow,
    DailyWindow,
    MaintenanceCalendar,
    NthWeekdayWindow,
    Rule,
    Window,
    YearlyWindow,
    default_rules,
)

TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = timezone.utc
CALENDAR = MaintenanceCalendar(default_rules())


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# 2026-06-10 is an ordinary Wednesday. June 2026 starts on a Monday (1st Monday is
# the 1st, Sundays are 7, 14, 21, 28); November 2026 starts on a Sunday (2nd Sunday
# is the 8th); August 2026 starts on a Saturday; December 2026's 1st Monday is the 7th.
CLOSED_OR_OPEN = [
    ("23:59 the evening before an ordinary day is open", jst("2026-06-09T23:59"), False),
    ("00:00 every day is closed", jst("2026-06-10T00:00"), True),
    ("00:00:59.999999 is still closed", jst("2026-06-10T00:00:59.999999"), True),
    ("00:01 every day reopens", jst("2026-06-10T00:01"), False),
    ("03:59:59 every day is open", jst("2026-06-10T03:59:59"), False),
    ("04:00 every day is closed", jst("2026-06-10T04:00"), True),
    ("04:04:59 every day is still closed", jst("2026-06-10T04:04:59"), True),
    ("04:05 every day reopens", jst("2026-06-10T04:05"), False),
    ("noon on an ordinary day is open", jst("2026-06-10T12:00"), False),
    ("01:59 on the 1st monday is open", jst("2026-06-01T01:59"), False),
    ("02:00 on the 1st monday, the 1st of the month, is closed", jst("2026-06-01T02:00"), True),
    ("05:59 on the 1st monday is closed", jst("2026-06-01T05:59"), True),
    ("06:00 on the 1st monday reopens", jst("2026-06-01T06:00"), False),
    ("02:00 on the 2nd monday is open", jst("2026-06-08T02:00"), False),
    ("02:00 on the 3rd monday is closed", jst("2026-06-15T02:00"), True),
    ("05:59:59.999999 on the 3rd monday is closed", jst("2026-06-15T05:59:59.999999"), True),
    ("03:00 on the 4th monday is open", jst("2026-06-22T03:00"), False),
    ("03:00 on the 5th monday is open", jst("2026-06-29T03:00"), False),
    ("02:00 on the tuesday after the 1st monday is open", jst("2026-06-02T02:00"), False),
    ("02:00 on a 1st monday that falls on the 7th is closed", jst("2026-12-07T02:00"), True),
    ("02:00 on the monday the 14th, a 2nd monday, is open", jst("2026-12-14T02:00"), False),
    ("02:00 on the monday the 21st, a 3rd monday, is closed", jst("2026-12-21T02:00"), True),
    ("saturday 23:49 before the 2nd sunday is open", jst("2026-11-07T23:49"), False),
    ("saturday 23:50 before the 2nd sunday is closed", jst("2026-11-07T23:50"), True),
    ("the 2nd sunday 00:00:30 is closed", jst("2026-11-08T00:00:30"), True),
    ("the 2nd sunday 02:30 is closed", jst("2026-11-08T02:30"), True),
    ("the 2nd sunday 06:59:59.999999 is closed", jst("2026-11-08T06:59:59.999999"), True),
    ("the 2nd sunday 07:00 reopens", jst("2026-11-08T07:00"), False),
    ("saturday 23:50 before the 1st sunday, across the month end, is open", jst("2026-10-31T23:50"), False),
    ("the 1st sunday 02:30 is open", jst("2026-11-01T02:30"), False),
    ("saturday 23:50 before the 3rd sunday is open", jst("2026-11-14T23:50"), False),
    ("saturday 23:50 before the 4th sunday is closed", jst("2026-11-21T23:50"), True),
    ("the 4th sunday 06:59 is closed", jst("2026-11-22T06:59"), True),
    ("saturday 23:50 before the 5th sunday is open", jst("2026-11-28T23:50"), False),
    ("friday 23:50 before the 2nd sunday is open", jst("2026-11-06T23:50"), False),
    ("saturday 23:50 the 13th, before june's 2nd sunday, is closed", jst("2026-06-13T23:50"), True),
    ("saturday 23:50 the 6th, before june's 1st sunday, is open", jst("2026-06-06T23:50"), False),
    ("saturday 23:50 the 8th in a month that starts on a saturday is closed", jst("2026-08-08T23:50"), True),
    ("saturday 23:50 the 1st in a month that starts on a saturday is open", jst("2026-08-01T23:50"), False),
    ("31 december 19:00 is open", jst("2026-12-31T19:00"), False),
    ("31 december 23:59:59 is open", jst("2026-12-31T23:59:59"), False),
    ("1 january 00:00 is closed", jst("2027-01-01T00:00"), True),
    ("1 january 07:59 is closed", jst("2027-01-01T07:59"), True),
    ("1 january 08:00 reopens", jst("2027-01-01T08:00"), False),
    ("1 january 18:59 is open", jst("2027-01-01T18:59"), False),
    ("1 january 19:00 is closed", jst("2027-01-01T19:00"), True),
    ("1 january 23:59:59 is closed", jst("2027-01-01T23:59:59"), True),
    ("2 january 07:30 is closed", jst("2027-01-02T07:30"), True),
    ("2 january noon is open", jst("2027-01-02T12:00"), False),
    ("3 january 08:00 reopens", jst("2027-01-03T08:00"), False),
    ("3 january 23:59:59.999999 is closed", jst("2027-01-03T23:59:59.999999"), True),
    ("4 january 00:00 is closed by the daily window", jst("2027-01-04T00:00"), True),
    ("4 january 00:01 is open", jst("2027-01-04T00:01"), False),
    ("4 january 2027, a 1st monday, is closed at 02:00", jst("2027-01-04T02:00"), True),
    ("4 january 07:30 is open", jst("2027-01-04T07:30"), False),
    ("1 january 2029, a 1st monday, 06:30 is still closed for new year", jst("2029-01-01T06:30"), True),
    ("29 february 2028 00:00 is closed", jst("2028-02-29T00:00"), True),
    ("29 february 2028 00:01 is open", jst("2028-02-29T00:01"), False),
    ("29 february 2028 04:00 is closed", jst("2028-02-29T04:00"), True),
    ("29 february 2028 noon is open", jst("2028-02-29T12:00"), False),
    ("saturday 26 february 2028 23:50, before the 4th sunday, is closed", jst("2028-02-26T23:50"), True),
    ("saturday 29 february 2020 23:50, before march's 1st sunday, is open", jst("2020-02-29T23:50"), False),
    ("saturday 28 february 2032 23:50, before a 5th sunday, is open", jst("2032-02-28T23:50"), False),
    ("monday 29 february 2016, a 5th monday, is open at 03:00", jst("2016-02-29T03:00"), False),
    ("14:50Z on saturday is 23:50 JST before the 2nd sunday: closed", utc("2026-11-07T14:50"), True),
    ("14:49Z on saturday is 23:49 JST: open", utc("2026-11-07T14:49"), False),
    ("22:00Z on saturday is 07:00 JST on the 2nd sunday: open", utc("2026-11-07T22:00"), False),
    ("15:00Z is 00:00 JST the next day: closed", utc("2026-06-09T15:00"), True),
    (
        "10:00 in los angeles on sunday 31 may is 02:00 JST on the 1st monday: closed",
        datetime(2026, 5, 31, 10, 0, tzinfo=LOS_ANGELES),
        True,
    ),
    (
        "07:00 PST on 9 january is 00:00 JST on 10 january: closed",
        datetime(2026, 1, 9, 7, 0, tzinfo=LOS_ANGELES),
        True,
    ),
]


@pytest.mark.parametrize(("when", "closed"), [row[1:] for row in CLOSED_OR_OPEN], ids=[row[0] for row in CLOSED_OR_OPEN])
def test_is_closed(when: datetime, closed: bool) -> None:
    assert CALENDAR.is_closed(when) is closed
    assert (CALENDAR.window_at(when) is not None) is closed


REOPENS = [
    ("an open moment has no reopening time", jst("2026-06-10T12:00"), None),
    ("00:00:30 reopens at 00:01", jst("2026-06-10T00:00:30"), jst("2026-06-10T00:01")),
    ("04:02 reopens at 04:05", jst("2026-06-10T04:02"), jst("2026-06-10T04:05")),
    ("04:02 on the 1st monday reopens at 06:00", jst("2026-06-01T04:02"), jst("2026-06-01T06:00")),
    ("saturday 23:55 reopens at 07:00 on the 2nd sunday", jst("2026-11-07T23:55"), jst("2026-11-08T07:00")),
    ("sunday 00:00:30 inside the eve window reopens at 07:00", jst("2026-11-08T00:00:30"), jst("2026-11-08T07:00")),
    ("sunday 04:03 inside the eve window reopens at 07:00", jst("2026-11-08T04:03"), jst("2026-11-08T07:00")),
    ("1 january 20:00 reopens at 08:00 on 2 january", jst("2027-01-01T20:00"), jst("2027-01-02T08:00")),
    ("1 january 03:00 reopens at 08:00", jst("2027-01-01T03:00"), jst("2027-01-01T08:00")),
    ("3 january 23:00 reopens at 00:01 on 4 january", jst("2027-01-03T23:00"), jst("2027-01-04T00:01")),
    ("1 january 2029, a 1st monday, 03:00 reopens at 08:00", jst("2029-01-01T03:00"), jst("2029-01-01T08:00")),
    ("14:55Z saturday reopens at 07:00 JST sunday", utc("2026-11-07T14:55"), jst("2026-11-08T07:00")),
]


@pytest.mark.parametrize(("when", "expected"), [row[1:] for row in REOPENS], ids=[row[0] for row in REOPENS])
def test_reopens_at(when: datetime, expected: datetime | None) -> None:
    assert CALENDAR.reopens_at(when) == expected


def test_reopens_at_answers_in_tokyo_time_for_a_utc_question() -> None:
    reopens = CALENDAR.reopens_at(utc("2026-11-07T14:55"))
    assert reopens is not None and reopens.tzinfo == TOKYO
    assert reopens.isoformat() == "2026-11-08T07:00:00+09:00"


WINDOW_AT = [
    (
        "sunday 05:00 belongs to the window from saturday 23:50",
        jst("2026-11-08T05:00"),
        Window(
            jst("2026-11-07T23:50"),
            jst("2026-11-08T07:00"),
            ("day before 2nd/4th Sunday 23:50 – Sunday 07:00", "daily 00:00–00:01", "daily 04:00–04:05"),
        ),
    ),
    (
        "3 january 21:00 belongs to 19:00 until 00:01 on the 4th",
        jst("2027-01-03T21:00"),
        Window(jst("2027-01-03T19:00"), jst("2027-01-04T00:01"), ("yearly 1/1,2,3 19:00–24:00", "daily 00:00–00:01")),
    ),
    (
        "04:00 on an ordinary day is the five-minute daily window",
        jst("2026-06-10T04:00"),
        Window(jst("2026-06-10T04:00"), jst("2026-06-10T04:05"), ("daily 04:00–04:05",)),
    ),
]


@pytest.mark.parametrize(("when", "expected"), [row[1:] for row in WINDOW_AT], ids=[row[0] for row in WINDOW_AT])
def test_window_at(when: datetime, expected: Window) -> None:
    assert CALENDAR.window_at(when) == expected


def test_window_label_names_every_rule_inside_it() -> None:
    window = CALENDAR.window_at(jst("2026-06-01T03:00"))
    assert window is not None
    assert window.label == "1st/3rd Monday 02:00–06:00 + daily 04:00–04:05"


def test_windows_between_crosses_a_month_end() -> None:
    found = CALENDAR.windows_between(jst("2026-05-31T12:00"), jst("2026-06-02T00:00"))
    assert [(w.starts_at, w.ends_at) for w in found] == [
        (jst("2026-06-01T00:00"), jst("2026-06-01T00:01")),
        (jst("2026-06-01T02:00"), jst("2026-06-01T06:00")),
    ]


def test_windows_between_returns_whole_windows_not_clipped_to_the_range() -> None:
    found = CALENDAR.windows_between(jst("2026-11-08T03:00"), jst("2026-11-08T03:30"))
    assert [(w.starts_at, w.ends_at) for w in found] == [(jst("2026-11-07T23:50"), jst("2026-11-08T07:00"))]


def test_windows_between_for_june_2026_counts_every_window_once() -> None:
    # 30 days of two daily windows; the 2nd and 4th Sunday eves each swallow two of them.
    found = CALENDAR.windows_between(jst("2026-06-01T00:00"), jst("2026-07-01T00:00"))
    assert len(found) == 60 - 2
    assert found == sorted(found)
    assert all(a.ends_at < b.starts_at for a, b in zip(found, found[1:]))


def test_windows_between_accepts_other_time_zones() -> None:
    tokyo = CALENDAR.windows_between(jst("2026-06-01T00:00"), jst("2026-06-02T00:00"))
    elsewhere = CALENDAR.windows_between(utc("2026-05-31T15:00"), utc("2026-06-01T15:00"))
    assert tokyo == elsewhere


def test_windows_between_an_empty_range_is_empty() -> None:
    assert CALENDAR.windows_between(jst("2026-06-10T00:00:30"), jst("2026-06-10T00:00:30")) == []


def test_windows_between_refuses_a_backwards_range() -> None:
    with pytest.raises(ValueError, match="start <= end"):
        CALENDAR.windows_between(jst("2026-06-10T00:00"), jst("2026-06-09T00:00"))


NAIVE_CALLS = [
    ("is_closed refuses a naive datetime", lambda t: CALENDAR.is_closed(t)),
    ("window_at refuses a naive datetime", lambda t: CALENDAR.window_at(t)),
    ("reopens_at refuses a naive datetime", lambda t: CALENDAR.reopens_at(t)),
    ("windows_between refuses a naive start", lambda t: CALENDAR.windows_between(t, jst("2027-01-01T00:00"))),
    ("an ad-hoc window refuses naive datetimes", lambda t: AdHocWindow(t, t + timedelta(hours=1), "x")),
]


@pytest.mark.parametrize("call", [row[1] for row in NAIVE_CALLS], ids=[row[0] for row in NAIVE_CALLS])
def test_naive_datetimes_are_refused(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2026, 6, 10, 0, 0))


UPGRADE = AdHocWindow(jst("2026-06-10T13:00"), jst("2026-06-10T15:00"), "基幹系システム更改")
EVE_EXTENSION = AdHocWindow(utc("2026-11-07T13:00"), utc("2026-11-07T14:50"), "前倒し")
LONG_STOP = AdHocWindow(jst("2026-06-16T06:00"), jst("2026-06-19T00:00"), "移転作業")
WITH_AD_HOC = MaintenanceCalendar(default_rules(), (UPGRADE, EVE_EXTENSION, LONG_STOP))

AD_HOC = [
    ("a moment before a staff window is open", jst("2026-06-10T12:59"), None),
    ("the first minute of a staff window reopens at its end", jst("2026-06-10T13:00"), jst("2026-06-10T15:00")),
    ("the end of a staff window is open", jst("2026-06-10T15:00"), None),
    ("a window given in UTC is closed from its Tokyo start", jst("2026-11-07T22:00"), jst("2026-11-08T07:00")),
    ("a moment before the UTC-given window is open", jst("2026-11-07T21:59"), None),
    ("a window ending where the sunday eve starts chains into it", jst("2026-11-07T23:00"), jst("2026-11-08T07:00")),
    ("a three-day staff window chains into the next day's 00:00–00:01", jst("2026-06-17T12:00"), jst("2026-06-19T00:01")),
]


@pytest.mark.parametrize(("when", "reopens"), [row[1:] for row in AD_HOC], ids=[row[0] for row in AD_HOC])
def test_ad_hoc_windows(when: datetime, reopens: datetime | None) -> None:
    assert WITH_AD_HOC.reopens_at(when) == reopens


def test_an_ad_hoc_window_is_closed_from_its_first_to_its_last_minute() -> None:
    calendar = MaintenanceCalendar(default_rules(), (UPGRADE,))
    assert not calendar.is_closed(jst("2026-06-10T12:59:59"))
    assert calendar.is_closed(jst("2026-06-10T13:00"))
    assert calendar.is_closed(jst("2026-06-10T14:59:59.999999"))
    assert not calendar.is_closed(jst("2026-06-10T15:00"))
    window = calendar.window_at(jst("2026-06-10T14:00"))
    assert window is not None and window.label == "基幹系システム更改"


def test_an_ad_hoc_window_extends_the_sunday_eve_backwards() -> None:
    window = WITH_AD_HOC.window_at(jst("2026-11-08T05:00"))
    assert window is not None
    assert window.starts_at == jst("2026-11-07T22:00")
    assert window.labels[0] == "前倒し"


def test_an_ad_hoc_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        AdHocWindow(jst("2026-06-10T13:00"), jst("2026-06-10T13:00"), "zero length")


def test_default_rules_are_the_published_list() -> None:
    assert default_rules() == (
        DailyWindow(time(0, 0), time(0, 1)),
        DailyWindow(time(4, 0), time(4, 5)),
        NthWeekdayWindow(0, (1, 3), time(2, 0), time(6, 0)),
        BeforeNthSundayWindow((2, 4), time(23, 50), time(7, 0)),
        YearlyWindow(1, (1, 2, 3), time(0, 0), time(8, 0)),
        YearlyWindow(1, (1, 2, 3), time(19, 0), None),
    )


OTHER_RULES = [
    (
        "an eve before the 1st sunday lies in the previous month",
        BeforeNthSundayWindow((1,), time(23, 50), time(7, 0)),
        jst("2026-10-31T23:50"),
        True,
    ),
    ("a leap-day rule closes on 29 february 2028", YearlyWindow(2, (29,), time(9, 0), time(10, 0)), jst("2028-02-29T09:30"), True),
    ("a leap-day rule leaves 1 march 2027 open", YearlyWindow(2, (29,), time(9, 0), time(10, 0)), jst("2027-03-01T09:30"), False),
    ("a 5th friday rule closes on 30 october 2026", NthWeekdayWindow(4, (5,), time(9, 0), time(10, 0)), jst("2026-10-30T09:00"), True),
    ("a 5th friday rule leaves the 4th friday open", NthWeekdayWindow(4, (5,), time(9, 0), time(10, 0)), jst("2026-10-23T09:00"), False),
    ("a daily window may run to 24:00", DailyWindow(time(23, 55), None), jst("2026-06-10T23:59:59.999999"), True),
]


@pytest.mark.parametrize(
    ("rule", "when", "closed"), [row[1:] for row in OTHER_RULES], ids=[row[0] for row in OTHER_RULES]
)
def test_other_rules(rule: Rule, when: datetime, closed: bool) -> None:
    assert MaintenanceCalendar((rule,)).is_closed(when) is closed


BAD_RULES = [
    ("a daily window cannot end before it starts", lambda: DailyWindow(time(4, 5), time(4, 0))),
    ("a daily window cannot be empty", lambda: DailyWindow(time(4, 0), time(4, 0))),
    ("weekday 7 does not exist", lambda: NthWeekdayWindow(7, (1,), time(2), time(6))),
    ("there is no 6th monday", lambda: NthWeekdayWindow(0, (6,), time(2), time(6))),
    ("weeks cannot be empty", lambda: BeforeNthSundayWindow((), time(23, 50), time(7))),
    ("month 13 does not exist", lambda: YearlyWindow(13, (1,), time(0), time(8))),
    ("30 february does not exist", lambda: YearlyWindow(2, (30,), time(0), time(8))),
    ("rule times are wall-clock times without a zone", lambda: DailyWindow(time(0, tzinfo=UTC), time(1))),
]


@pytest.mark.parametrize("build", [row[1] for row in BAD_RULES], ids=[row[0] for row in BAD_RULES])
def test_bad_rules_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


def test_a_calendar_that_never_reopens_stops_following_the_chain() -> None:
    always = MaintenanceCalendar((DailyWindow(time(0), None),))
    reopens = always.reopens_at(jst("2026-06-10T12:00"))
    assert reopens is not None and reopens >= jst("2026-06-10T12:00") + timedelta(days=400)
