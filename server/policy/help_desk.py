"""When the help desk answers the phone: its hours, and whether it is open at a given moment.

The manual (11. お問い合わせ先) gives 平日の午前9時〜17時: weekdays, not on
Japan's public holidays (substitute and sandwiched holidays included, as the
``holidays`` package computes them from the law, year by year), nor on the
bank's own closing days (12月31日〜1月3日, 銀行法施行令 第5条), which are configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

TOKYO = ZoneInfo("Asia/Tokyo")
# The longest run of closed days in any year (Golden Week with the weekend) is far below this.
_LOOK_AHEAD_DAYS = 31


@dataclass(frozen=True)
class DeskHours:
    opens: time
    closes: time
    closed_dates: frozenset[tuple[int, int]]  # (month, day), every year


@dataclass(frozen=True)
class DeskStatus:
    open_now: bool
    closes_at: datetime | None  # while open: today's closing time
    opens_at: datetime | None   # while closed: the next opening


@cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year))


def is_working_day(day: date, hours: DeskHours) -> bool:
    """Monday to Friday, neither a public holiday nor one of the bank's closing days."""
    return day.weekday() < 5 and day not in _public_holidays(day.year) and (day.month, day.day) not in hours.closed_dates


def desk_status(now: datetime, hours: DeskHours) -> DeskStatus:
    """Whether the desk answers at ``now`` (Tokyo time); if not, when it next does."""
    local = now.astimezone(TOKYO)
    today = local.date()
    if is_working_day(today, hours) and hours.opens <= local.time() < hours.closes:
        return DeskStatus(True, closes_at=datetime.combine(today, hours.closes, TOKYO), opens_at=None)
    for ahead in range(_LOOK_AHEAD_DAYS):
        day = today + timedelta(days=ahead)
        if is_working_day(day, hours) and (ahead > 0 or local.time() < hours.opens):
            return DeskStatus(False, closes_at=None, opens_at=datetime.combine(day, hours.opens, TOKYO))
    return DeskStatus(False, closes_at=None, opens_at=None)
