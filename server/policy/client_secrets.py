"""A client's secrets during a rotation: which one a presented secret is, and how long the replaced one works.

`renkei clients rotate-secret` keeps the replaced secret working for an overlap, so an app maker
running several servers can deploy the new one server by server without an outage for the app's
customers. Only one previous secret at a time: rotating again during an overlap drops the older one.
Pure policy: digests and times are given; nothing here reads a clock or a database.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta

# A scheduled rotation's overlap: a working day, in which an app maker deploys the new secret to every
# server (across time zones, with a rollback). A leaked secret is ended at once: --keep-previous-for 0.
DEFAULT_OVERLAP = "24h"
# Longer would leave a replaced secret working for most of a rotation schedule.
LONGEST_OVERLAP = timedelta(days=30)
CURRENT, PREVIOUS = "current", "previous"

_DURATION = re.compile(r"(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?")
# Compared against when there is no such secret, so every check does the same work; no SHA-256 digest is 32 zero bytes.
_NO_SECRET = bytes(32)


def overlap(text: str) -> timedelta:
    """``0``, ``30m``, ``24h``, ``7d``, ``1d12h`` as a timedelta; ValueError for anything else or beyond 30 days."""
    if text.strip() == "0":
        return timedelta(0)
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None or not any(found.groups()):
        raise ValueError(f"{text!r} is not a duration: say 0, 30m, 24h, 7d or 1d12h")
    days, hours, minutes = (int(part or 0) for part in found.groups())
    length = timedelta(days=days, hours=hours, minutes=minutes)
    if length > LONGEST_OVERLAP:
        raise ValueError(f"{text!r} is longer than the longest overlap, {LONGEST_OVERLAP.days} days")
    return length


def previous_secret_end(now: datetime, keep_for: timedelta) -> datetime | None:
    """When the replaced secret stops working; None: at once (it is not kept at all)."""
    return now + keep_for if keep_for > timedelta(0) else None


def in_force(ends_at: datetime | None, now: datetime) -> bool:
    """A previous secret works until its end time, not at it."""
    return ends_at is not None and now < ends_at


def secret_matched(presented: bytes, current: bytes | None, previous: bytes | None, previous_ends_at: datetime | None,
                   now: datetime) -> str | None:
    """CURRENT, PREVIOUS (only while in force) or None, for the digest of a presented secret.

    Both digests are compared every time, in constant time, so the time taken tells no one which
    secret failed or whether a previous one exists."""
    is_current = hmac.compare_digest(presented, current or _NO_SECRET)
    is_previous = hmac.compare_digest(presented, previous or _NO_SECRET)
    if is_current and current is not None:
        return CURRENT
    if is_previous and previous is not None and in_force(previous_ends_at, now):
        return PREVIOUS
    return None
