"""Identity and PIN locks (contract §3, §4): counting failures and when a lock lifts.

Failures are counted per Asia/Tokyo calendar day; the failure that reaches the
limit engages the lock, which lifts by itself at the next 00:00 Tokyo time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from server.reasons import Reason

TOKYO = ZoneInfo("Asia/Tokyo")


class LockKind(StrEnum):
    IDENTITY = "identity"  # birth date wrong (B82 → B83)
    PIN = "pin"  # cash-card PIN wrong (B87 → B88); locks API linkage only


# (still failing, lock engaged) for each kind; B84 is shared by both.
_REASONS = {
    LockKind.IDENTITY: (Reason.B82, Reason.B83),
    LockKind.PIN: (Reason.B87, Reason.B88),
}


def _to_tokyo(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no time zone; pass an aware datetime")
    return moment.astimezone(TOKYO)


def tokyo_day(now: datetime) -> date:
    """The Asia/Tokyo calendar day of an aware datetime, whatever its zone."""
    return _to_tokyo(now).date()


def lock_lifts_at(now: datetime) -> datetime:
    """The next 00:00 Tokyo strictly after ``now``: a lock engaged at 00:00 lasts a full day."""
    return datetime.combine(tokyo_day(now) + timedelta(days=1), time(0), TOKYO)


def failures_today(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """The stored failure count if the last failure was on today's Tokyo day, else 0."""
    if last_failure_at is None or tokyo_day(last_failure_at) != tokyo_day(now):
        return 0
    return failures


@dataclass(frozen=True)
class FailureOutcome:
    failures: int
    locked: bool
    reason: Reason


def judge_failure(kind: LockKind, failures_after: int, limit: int) -> FailureOutcome:
    """What one more failure means, given today's count including it and the limit.

    Past the limit can only happen when two attempts raced past the lock check;
    the loser is told the account is locked (B84), like any attempt on a lock.
    """
    if limit < 1 or failures_after < 1:
        raise ValueError(f"need failures_after >= 1 and limit >= 1, not {failures_after} and {limit}")
    failing, engaged = _REASONS[LockKind(kind)]
    if failures_after < limit:
        return FailureOutcome(failures_after, locked=False, reason=failing)
    if failures_after == limit:
        return FailureOutcome(failures_after, locked=True, reason=engaged)
    return FailureOutcome(failures_after, locked=True, reason=Reason.B84)


def tries_left(failures_today: int, limit: int) -> int:
    """How many more wrong answers today before the lock: after the first of three, 2."""
    return max(0, limit - failures_today)
