"""Head office's figures (contract §12) from the counted rows: which days, and what each row adds to which key.

Pure: server.db.stats reads the rows, this folds them into the API's document.
The rules: a flow counts once in ``started`` when /authorize opens it; a stage
counts the flows that passed it (⑥: approved); a reason code counts each time
a screen showed it (a late call's B85 on the telephone line is a call, not a
screen); a lock is the screen that said B83 (identity) or B88 (PIN), shown
exactly once, when the failure reached the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from server.policy.locks import TOKYO
from server.reasons import Reason

MAX_DAYS = 92  # a quarter: longer ranges are the log export's job
STAGE_EVENTS = {
    "flow:account:success": "1", "flow:customer:success": "2", "flow:phone:success": "3",
    "flow:call:success": "4", "flow:pin:success": "5", "flow:consent:approve": "6",
}  # fmt: skip
STARTED, APPROVED, CALL = "flow:authorize:start", "flow:consent:approve", "ivr:call"
LOCK_REASONS = {"B83": "identity", "B88": "pin"}
# What ivr records as a call's result → the figure it counts in ("unmatched": a number registered to no waiting customer).
CALL_RESULTS = {"matched": "matched", "late": "late", "unmatched": "unregistered", "unregistered": "unregistered",
                "withheld": "withheld"}
CALL_KEYS = ("matched", "late", "unregistered", "withheld")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_EARLIEST, _LATEST = date(2000, 1, 1), date(2999, 12, 31)


class BadPeriod(ValueError):
    """``from``/``to`` are not days, are reversed, or span more than MAX_DAYS."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), TOKYO)

    @property
    def end(self) -> datetime:
        """The instant after the last day (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(0), TOKYO)


def _day(text: str | None, name: str, today: date) -> date:
    if text is None or text == "":
        return today
    if not _DAY.match(text):
        raise BadPeriod(f"{name} must be a day as YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(f"{name} is not a day of the calendar") from None
    if not _EARLIEST <= day <= _LATEST:
        raise BadPeriod(f"{name} must be between {_EARLIEST} and {_LATEST}")
    return day


def read_period(from_text: str | None, to_text: str | None, today: date, *, max_days: int = MAX_DAYS) -> Period:
    """Both days included (Asia/Tokyo); either left out means today."""
    first, last = _day(from_text, "from", today), _day(to_text, "to", today)
    if first > last:
        raise BadPeriod("from must not be after to")
    if (last - first).days + 1 > max_days:
        raise BadPeriod(f"a range spans at most {max_days} days")
    return Period(first, last)


@dataclass
class Tally:
    """The counts of one day, or of the whole range."""

    started: int = 0
    approved: int = 0
    stages: dict[str, int] = field(default_factory=lambda: {str(n): 0 for n in range(1, 7)})
    reasons: dict[str, int] = field(default_factory=lambda: {reason.value: 0 for reason in Reason})
    locks: dict[str, int] = field(default_factory=lambda: {"identity": 0, "pin": 0})
    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CALL_KEYS, 0))
    calls_by_hour: list[dict[str, int]] = field(default_factory=lambda: [{"hour": h, **dict.fromkeys(CALL_KEYS, 0)} for h in range(24)])
    apps: dict[str, dict[str, int]] = field(default_factory=dict)
    duration_seconds: dict[str, float | None] = field(default_factory=lambda: {"median": None, "p90": None})

    def app(self, client_id: str) -> dict[str, int]:
        return self.apps.setdefault(client_id, {"started": 0, "approved": 0, "live_links": 0})

    def add(self, row: Mapping[str, Any]) -> None:
        event, lines = row["event"], row["lines"]
        if event == STARTED:
            self.started += lines
            self.app(row["client_id"])["started"] += lines
        if event in STAGE_EVENTS:
            self.stages[STAGE_EVENTS[event]] += row["flows"]
        if event == APPROVED:
            self.approved += lines
            self.app(row["client_id"])["approved"] += lines
        if event == CALL:
            self._call(row)
        elif row["reason_code"] in self.reasons:
            self.reasons[row["reason_code"]] += lines
            if row["reason_code"] in LOCK_REASONS:
                self.locks[LOCK_REASONS[row["reason_code"]]] += lines

    def _call(self, row: Mapping[str, Any]) -> None:
        figure = CALL_RESULTS.get(row["call_result"] or "")
        if figure is not None:
            self.calls[figure] += row["lines"]
            self.calls_by_hour[row["hour"]][figure] += row["lines"]

    def document(self, names: Mapping[str, str]) -> dict[str, Any]:
        apps = [{"client_id": client_id, "name": names.get(client_id, client_id), **figures}
                for client_id, figures in sorted(self.apps.items())]
        return {"started": self.started, "approved": self.approved, "stages": self.stages, "reasons": self.reasons,
                "locks": self.locks, "calls": self.calls, "calls_by_hour": self.calls_by_hour, "apps": apps,
                "duration_seconds": self.duration_seconds}


def fold(period: Period, lines: Iterable[Mapping[str, Any]], durations: Iterable[Mapping[str, Any]],
         links: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> dict[str, Any]:
    """The API's document: the range's counts, and the same counts per day under ``days``."""
    total, per_day = Tally(), {day: Tally() for day in period.days}
    for row in lines:
        total.add(row)
        per_day[row["day"]].add(row)
    for row in durations:
        tally = total if row["day"] is None else per_day[row["day"]]
        tally.duration_seconds = {"median": _seconds(row["median"]), "p90": _seconds(row["p90"])}
    for row in links:
        per_day[row["day"]].app(row["client_id"])["live_links"] = row["links"]
        if row["day"] == period.last:  # the range's links are those in force at its end
            total.app(row["client_id"])["live_links"] = row["links"]
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), **total.document(names),
            "days": [{"date": day.isoformat(), **tally.document(names)} for day, tally in per_day.items()]}


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def stopped_share(started: int, stages: Mapping[str, int]) -> list[tuple[str, int, float]]:
    """For the funnel: each stage, the flows that passed it, and the share of the previous step's flows that stopped there."""
    shares, before = [], started
    for number in sorted(stages):
        passed = stages[number]
        shares.append((number, passed, (before - passed) / before if before else 0.0))
        before = passed
    return shares
