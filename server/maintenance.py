"""The maintenance service: the published calendar from config plus the windows staff add.

Every process keeps the staff-added windows in memory (the S01 gate asks on every
request) and reloads them when a NOTIFY on ``renkei_maintenance`` arrives, and
from scratch whenever the process's listening connection comes back, so a
window added on one process closes the service on all of them at once.

An area module: ``startup(runtime)`` puts the service in ``runtime.extras["maintenance"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg

from server.db import maintenance_windows
from server.logs import get_logger
from server.policy.maintenance import (
    WEEKDAYS,
    AdHocWindow,
    BeforeNthSundayWindow,
    DailyWindow,
    MaintenanceCalendar,
    NthWeekdayWindow,
    Rule,
    Window,
    YearlyWindow,
)
from server.runtime import Runtime
from server.settings import ConfigError, Settings

log = get_logger(__name__)

# Staff-added windows that ended longer ago than this are not kept in memory.
_KEEP_ENDED = timedelta(days=31)
_RETRY_SECONDS = 2.0
# How far ahead window_at looks for the next window when the service is open.
_LOOK_AHEAD = timedelta(days=1)
_HHMM = re.compile(r"^(\d\d):(\d\d)$")


class _Table:
    """Typed reads from one [[maintenance.<kind>]] table; errors name file, table and key."""

    def __init__(self, data: Mapping[str, Any], kind: str, number: int, source: object) -> None:
        self.data, self.where = data, f"{source}: maintenance.{kind} #{number}"

    def fail(self, key: str, wanted: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key} must be {wanted} (got {self.data.get(key, '<missing>')!r})")

    def clock(self, key: str, *, allow_24: bool = True) -> time | None:
        """A Tokyo wall-clock time "HH:MM"; "24:00" (the next midnight) is None."""
        value = self.data.get(key)
        wanted = 'a time "HH:MM" from 00:00 to ' + ("24:00" if allow_24 else "23:59")
        if isinstance(value, time) and value.tzinfo is None:
            return value
        match = _HHMM.match(value) if isinstance(value, str) else None
        if not match:
            raise self.fail(key, wanted)
        hours, minutes = int(match[1]), int(match[2])
        if allow_24 and (hours, minutes) == (24, 0):
            return None
        if hours > 23 or minutes > 59:
            raise self.fail(key, wanted)
        return time(hours, minutes)

    def start(self, key: str) -> time:
        start = self.clock(key, allow_24=False)
        assert start is not None  # allow_24=False never gives None
        return start

    def number(self, key: str, low: int, high: int) -> int:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(key, f"a whole number from {low} to {high}")
        return value

    def numbers(self, key: str, low: int, high: int) -> tuple[int, ...]:
        value = self.data.get(key)
        good = isinstance(value, list) and value and all(
            isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value
        )
        if not good:
            raise self.fail(key, f"a non-empty list of whole numbers from {low} to {high}")
        return tuple(value)

    def weekday(self, key: str) -> int:
        value = self.data.get(key)
        if not isinstance(value, str) or value.lower() not in WEEKDAYS:
            raise self.fail(key, "a weekday name: " + ", ".join(WEEKDAYS))
        return WEEKDAYS.index(value.lower())

    def only(self, *keys: str) -> None:
        unknown = sorted(set(self.data) - set(keys))
        if unknown:
            raise ConfigError(f"{self.where}: unknown key {unknown[0]!r} (expected {', '.join(keys)})")


def _daily(t: _Table) -> Rule:
    t.only("start", "end")
    return DailyWindow(t.start("start"), t.clock("end"))


def _nth_weekday(t: _Table) -> Rule:
    t.only("weekday", "weeks", "start", "end")
    return NthWeekdayWindow(t.weekday("weekday"), t.numbers("weeks", 1, 5), t.start("start"), t.clock("end"))


def _before_nth_sunday(t: _Table) -> Rule:
    t.only("weeks", "start_day_before", "end")
    return BeforeNthSundayWindow(t.numbers("weeks", 1, 5), t.start("start_day_before"), t.start("end"))


def _yearly(t: _Table) -> Rule:
    t.only("month", "days", "start", "end")
    return YearlyWindow(t.number("month", 1, 12), t.numbers("days", 1, 31), t.start("start"), t.clock("end"))


RULE_KINDS: dict[str, Callable[[_Table], Rule]] = {
    "daily": _daily,
    "nth_weekday": _nth_weekday,
    "before_nth_sunday": _before_nth_sunday,
    "yearly": _yearly,
}


def calendar_rules_from_settings(settings: Settings) -> tuple[Rule, ...]:
    """The published rules of the [[maintenance.*]] tables; ``ConfigError`` names every bad table, each with
    the file that holds it (an override file replaces a kind's list whole, so "#2" counts in that file)."""
    rules: list[Rule] = []
    problems: list[str] = []
    for kind, tables in settings.maintenance.items():
        source = settings.maintenance_sources.get(kind, settings.config_file)
        build = RULE_KINDS.get(kind)
        if build is None:
            problems.append(f"{source}: maintenance.{kind} is not a kind of rule (expected {', '.join(RULE_KINDS)})")
            continue
        for number, data in enumerate(tables, start=1):
            table = _Table(data, kind, number, source)
            try:
                rules.append(build(table))
            except ConfigError as error:
                problems.extend(error.problems)
            except ValueError as error:  # the policy's own checks: end before start, 30 February...
                problems.append(f"{table.where}: {error}")
    if problems:
        raise ConfigError(*problems)
    return tuple(rules)


class MaintenanceService:
    """Answers "is the service closed?" from memory; ``refresh`` reloads the staff-added windows."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.calendar = MaintenanceCalendar(rules)
        self._span: tuple[MaintenanceCalendar, datetime, datetime, Window | None] | None = None
        self._refreshing = asyncio.Lock()

    def window_at(self, now: datetime) -> Window | None:
        """The window ``now`` is in, if any: from memory while ``now`` stays in the span last worked out.

        The S01 gate and /token ask on every request; the answer only changes
        when a window begins or ends, so each answer is remembered with the span
        over which it holds (a window, or the open time until the next one, at
        most a day ahead). A new calendar (staff windows reloaded) forgets it.
        """
        calendar, span = self.calendar, self._span
        if span is not None and span[0] is calendar and span[1] <= now < span[2]:
            return span[3]
        window = calendar.window_at(now)
        if window is not None:
            self._span = (calendar, window.starts_at, window.ends_at, window)
        else:
            upcoming = calendar.windows_between(now, now + _LOOK_AHEAD)
            self._span = (calendar, now, upcoming[0].starts_at if upcoming else now + _LOOK_AHEAD, None)
        return window

    def windows_between(self, start: datetime, end: datetime) -> list[Window]:
        return self.calendar.windows_between(start, end)

    async def refresh(self, conn: asyncpg.Pool | asyncpg.Connection, now: datetime) -> None:
        # One at a time: a slow older read must never overwrite a newer one.
        async with self._refreshing:
            rows = await maintenance_windows.windows_in_force(conn, ending_after=now - _KEEP_ENDED)
            ad_hoc = tuple(AdHocWindow(r["starts_at"], r["ends_at"], r["reason"]) for r in rows)
            self.calendar = MaintenanceCalendar(self.rules, ad_hoc)
        log.info("maintenance.refreshed", staff_windows=len(ad_hoc))


routes: list = []


async def _refresh_when_told(service: MaintenanceService, runtime: Runtime, told: asyncio.Event) -> None:
    """Coalesces NOTIFYs into refreshes, and retries a refresh that failed (stale is wrong)."""
    while True:
        await told.wait()
        told.clear()
        try:
            await service.refresh(runtime.pool, runtime.clock.now())
        except Exception as error:  # the database hiccuped: keep the old calendar and try again
            log.error("maintenance.refresh_failed", error=type(error).__name__)
            told.set()
            await asyncio.sleep(_RETRY_SECONDS)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def startup(runtime: Runtime) -> None:
    service = MaintenanceService(calendar_rules_from_settings(runtime.settings))
    told = asyncio.Event()

    async def refresh() -> None:
        await service.refresh(runtime.pool, runtime.clock.now())

    listener = await runtime.listener.subscribe(
        maintenance_windows.CHANNEL, on_notify=lambda _payload: told.set(), on_connect=refresh
    )
    runtime.exit_stack.push_async_callback(listener.close)
    refresher = asyncio.create_task(_refresh_when_told(service, runtime, told), name="maintenance:refresh")
    runtime.exit_stack.push_async_callback(_stop, refresher)
    runtime.extras["maintenance"] = service
    runtime.extras["maintenance_listener"] = listener
