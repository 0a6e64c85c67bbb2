"""The one injectable clock. Every time rule reads ``clock.now()``, never the host's.

Times are aware datetimes in Asia/Tokyo whatever the host's time zone. Tests
hand the app a ``FrozenClock`` and move it; servers started in another process
for tests read an offset from a file (``RENKEI_CLOCK_FILE``, refused in
production).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_iso(moment: datetime) -> str:
    """ISO 8601 in Japan time, to the second: how operators' output and log lines give a moment."""
    return moment.astimezone(TOKYO).isoformat(timespec="seconds")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(TOKYO)


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(TOKYO)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = when.astimezone(TOKYO)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class OffsetFileClock:
    """Real time plus an offset in seconds read from a file (development and tests only).

    Lets a test move the clock of server processes it started; the file is
    re-read when its modification time changes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: float | None = None
        self._offset = 0.0

    def now(self) -> datetime:
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            text = self.path.read_text().strip() if stamp is not None else ""
            self._offset = float(text or 0)
        return datetime.now(TOKYO) + timedelta(seconds=self._offset)


def write_clock_offset(path: Path, target: datetime) -> None:
    """Make every OffsetFileClock on ``path`` read ``target`` now (test helper)."""
    offset = (target - datetime.now(TOKYO)).total_seconds()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(repr(offset))
    os.replace(tmp, path)


def clock_for(clock_file: Path | None) -> Clock:
    return OffsetFileClock(clock_file) if clock_file else SystemClock()
