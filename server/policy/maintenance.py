"""The bank's maintenance calendar (contract §4): when the service answers S01.

Rules are recurring windows in Asia/Tokyo wall-clock time; a calendar turns them,
with the windows staff add, into concrete half-open ``[starts_at, ends_at)`` spans:
the first minute is closed, the minute at ``ends_at`` is open again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29: leap years exist
# A rule window starts on one Tokyo day and ends before the end of the next, so
# rule windows that began up to two days back are the only ones still open.
_LOOKBACK = timedelta(days=2)
# Windows are compared at datetime's resolution: [t, t + tick) is the instant t.
_TICK = timedelta(microseconds=1)
# A misconfigured calendar (a daily 00:00–24:00 rule) would chain for ever.
_MAX_CHAIN = timedelta(days=400)


def to_tokyo(moment: datetime) -> datetime:
    """``moment`` in Asia/Tokyo; naive datetimes are refused (their zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no time zone; pass an aware datetime")
    return moment.astimezone(TOKYO)


@dataclass(frozen=True, order=True)
class Window:
    """A concrete closed period in Tokyo time; ``labels`` name the rules behind it."""

    starts_at: datetime
    ends_at: datetime
    labels: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return " + ".join(self.labels)

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= to_tokyo(moment) < self.ends_at


def _at(day: date, clock: time | None) -> datetime:
    """Tokyo wall-clock ``clock`` on ``day``; ``None`` is 24:00, the next midnight."""
    if clock is None:
        return datetime.combine(day + timedelta(days=1), time(0), TOKYO)
    return datetime.combine(day, clock, TOKYO)


def _hhmm(clock: time | None) -> str:
    return "24:00" if clock is None else clock.strftime("%H:%M")


def _nth(day: date) -> int:
    """Which occurrence of its weekday ``day`` is in its month: the 8th is always the 2nd."""
    return (day.day - 1) // 7 + 1


def _check_clock(*clocks: time | None) -> None:
    if any(c is not None and c.tzinfo is not None for c in clocks):
        raise ValueError("rule times are Tokyo wall-clock times and must not carry a tzinfo")


def _check_span(start: time, end: time | None) -> None:
    _check_clock(start, end)
    if end is not None and end <= start:
        raise ValueError(f"a window must end after it starts: {_hhmm(start)}–{_hhmm(end)}")


def _check_weeks(weeks: tuple[int, ...]) -> None:
    if not weeks or any(w not in _ORDINALS for w in weeks):
        raise ValueError(f"weeks must be a non-empty choice of 1..5, not {weeks!r}")


def _weeks_label(weeks: tuple[int, ...]) -> str:
    return "/".join(_ORDINALS[w] for w in sorted(weeks))


@dataclass(frozen=True)
class DailyWindow:
    """Every day from ``start`` to ``end`` (``None``: 24:00)."""

    start: time
    end: time | None

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)

    @property
    def label(self) -> str:
        return f"daily {_hhmm(self.start)}–{_hhmm(self.end)}"

    def windows_starting_on(self, day: date) -> Iterator[Window]:
        yield Window(_at(day, self.start), _at(day, self.end), (self.label,))


@dataclass(frozen=True)
class NthWeekdayWindow:
    """The given weeks' ``weekday`` (0 = Monday); "1st Monday" is the month's first Monday."""

    weekday: int
    weeks: tuple[int, ...]
    start: time
    end: time | None

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}")
        _check_weeks(self.weeks)
        _check_span(self.start, self.end)

    @property
    def label(self) -> str:
        name = WEEKDAYS[self.weekday].capitalize()
        return f"{_weeks_label(self.weeks)} {name} {_hhmm(self.start)}–{_hhmm(self.end)}"

    def windows_starting_on(self, day: date) -> Iterator[Window]:
        if day.weekday() == self.weekday and _nth(day) in self.weeks:
            yield Window(_at(day, self.start), _at(day, self.end), (self.label,))


@dataclass(frozen=True)
class BeforeNthSundayWindow:
    """From ``start_day_before`` on the eve of the given Sundays until ``end`` that Sunday."""

    weeks: tuple[int, ...]
    start_day_before: time
    end: time

    def __post_init__(self) -> None:
        _check_weeks(self.weeks)
        _check_clock(self.start_day_before, self.end)

    @property
    def label(self) -> str:
        return (
            f"day before {_weeks_label(self.weeks)} Sunday {_hhmm(self.start_day_before)}"
            f" – Sunday {_hhmm(self.end)}"
        )

    def windows_starting_on(self, day: date) -> Iterator[Window]:
        # Counted from the Sunday, so an eve in the previous month still works.
        sunday = day + timedelta(days=1)
        if sunday.weekday() == 6 and _nth(sunday) in self.weeks:
            yield Window(_at(day, self.start_day_before), _at(sunday, self.end), (self.label,))


@dataclass(frozen=True)
class YearlyWindow:
    """The given ``days`` of ``month`` every year, ``start`` to ``end`` (``None``: 24:00)."""

    month: int
    days: tuple[int, ...]
    start: time
    end: time | None

    def __post_init__(self) -> None:
        if self.month not in range(1, 13):
            raise ValueError(f"month must be 1..12, not {self.month!r}")
        if not self.days or any(d not in range(1, _DAYS_IN_MONTH[self.month - 1] + 1) for d in self.days):
            raise ValueError(f"days {self.days!r} do not all exist in month {self.month}")
        _check_span(self.start, self.end)

    @property
    def label(self) -> str:
        days = ",".join(str(d) for d in sorted(self.days))
        return f"yearly {self.month}/{days} {_hhmm(self.start)}–{_hhmm(self.end)}"

    def windows_starting_on(self, day: date) -> Iterator[Window]:
        if day.month == self.month and day.day in self.days:
            yield Window(_at(day, self.start), _at(day, self.end), (self.label,))


@dataclass(frozen=True)
class AdHocWindow:
    """A window staff added in the console; ``reason`` becomes its label."""

    starts_at: datetime
    ends_at: datetime
    reason: str

    def __post_init__(self) -> None:
        if to_tokyo(self.ends_at) <= to_tokyo(self.starts_at):
            raise ValueError("an ad-hoc window must end after it starts")

    def window(self) -> Window:
        return Window(to_tokyo(self.starts_at), to_tokyo(self.ends_at), (self.reason,))


Rule = DailyWindow | NthWeekdayWindow | BeforeNthSundayWindow | YearlyWindow


def _merge(windows: Iterable[Window]) -> list[Window]:
    """Sorted windows with touching or overlapping ones joined into one."""
    merged: list[Window] = []
    for window in sorted(windows):
        last = merged[-1] if merged else None
        if last is None or window.starts_at > last.ends_at:
            merged.append(window)
            continue
        labels = tuple(dict.fromkeys(last.labels + window.labels))
        merged[-1] = Window(last.starts_at, max(last.ends_at, window.ends_at), labels)
    return merged


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceCalendar:
    """The published rules plus staff-added windows; every answer is in Tokyo time."""

    rules: tuple[Rule, ...]
    ad_hoc: tuple[AdHocWindow, ...] = ()

    def is_closed(self, now: datetime) -> bool:
        now = to_tokyo(now)
        return bool(self._raw(now, now + _TICK))

    def window_at(self, now: datetime) -> Window | None:
        """The merged window containing ``now`` (chains followed both ways), if any."""
        now = to_tokyo(now)
        found = self.windows_between(now, now + _TICK)
        return found[0] if found else None

    def reopens_at(self, now: datetime) -> datetime | None:
        """When the service opens again if it is closed at ``now``; ``None`` if open."""
        window = self.window_at(now)
        return window.ends_at if window else None

    def windows_between(self, start: datetime, end: datetime) -> list[Window]:
        """Merged windows overlapping ``[start, end)``, sorted, whole (not clipped)."""
        start, end = to_tokyo(start), to_tokyo(end)
        if end < start:
            raise ValueError("windows_between needs start <= end")
        merged = _merge(self._raw(start, end)) if start < end else []
        if not merged:
            return []
        first, last = self._extend_back(merged[0]), self._extend_forward(merged[-1])
        # Collected again over the whole span so that every window carries the
        # labels of all the rules inside it, whatever range was asked for.
        return _merge(self._raw(first.starts_at, last.ends_at))

    def _raw(self, start: datetime, end: datetime) -> list[Window]:
        """Unmerged windows overlapping ``[start, end)``."""
        candidates = [
            window
            for day in _days(start.date() - _LOOKBACK, end.date())
            for rule in self.rules
            for window in rule.windows_starting_on(day)
        ]
        candidates += [ad_hoc.window() for ad_hoc in self.ad_hoc]
        return [w for w in candidates if w.starts_at < end and start < w.ends_at]

    def _extend_forward(self, window: Window) -> Window:
        # Windows containing ends_at start at or before it: they touch, so they chain.
        limit = window.ends_at + _MAX_CHAIN
        while window.ends_at < limit and (more := self._raw(window.ends_at, window.ends_at + _TICK)):
            window = _merge([window, *more])[0]
        return window

    def _extend_back(self, window: Window) -> Window:
        limit = window.starts_at - _MAX_CHAIN
        while window.starts_at > limit and (more := self._raw(window.starts_at - _TICK, window.starts_at)):
            window = _merge([*more, window])[0]
        return window


def default_rules() -> tuple[Rule, ...]:
    """The bank's published list (contract §4), as shipped in config/renkei.toml."""
    return (
        DailyWindow(time(0, 0), time(0, 1)),
        DailyWindow(time(4, 0), time(4, 5)),
        NthWeekdayWindow(0, (1, 3), time(2, 0), time(6, 0)),
        BeforeNthSundayWindow((2, 4), time(23, 50), time(7, 0)),
        YearlyWindow(1, (1, 2, 3), time(0, 0), time(8, 0)),
        YearlyWindow(1, (1, 2, 3), time(19, 0), None),
    )

