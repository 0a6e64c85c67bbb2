"""Throttles against horizontal guessing (pure): failed attempts per IP address and per app.

The account locks (server.policy.locks) stop guessing on one account. Someone
trying one birth date or one PIN on each of many accounts never reaches an
account's limit, so failures are also counted across all accounts: per client
IP address (an IPv6 /64, which one subscriber usually holds whole) and per app.

A rule allows ``limit`` failures in any span of ``window_seconds``, wherever the
span starts. Fixed windows cannot promise that (a limit at the end of one window
and another at the start of the next), and neither can the common estimate that
weighs the previous window by its overlap with the sliding window: it supposes
the previous window's failures were spread evenly, and a burst at its very end
then lets nearly twice the limit through in one window length. So failures are
counted in slices of a tenth of the window, and every slice that overlaps the
window ending now counts in full. That never lets more than ``limit`` through
(see ``decide``); the price is that a failure may be remembered up to one slice
longer than the window.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
UNKNOWN_ADDRESS = "unknown"
SLICES_PER_WINDOW = 10


class Scope(StrEnum):
    IP = "ip"          # the customer's browser, as the server sees it
    CLIENT = "client"  # the app that sent the customer


@dataclass(frozen=True)
class Rule:
    scope: Scope
    limit: int           # failures allowed in any span of window_seconds
    window_seconds: int

    @property
    def slice_seconds(self) -> int:
        return max(1, math.ceil(self.window_seconds / SLICES_PER_WINDOW))


@dataclass(frozen=True)
class Window:
    """A stretch of the clock failures are counted in: one slice of a rule's window."""

    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    counted: int      # failures counted now, in the slices overlapping the window ending now
    retry_after: int  # whole seconds until one more attempt would be allowed (0 when it is)


def window_at(now: datetime, window_seconds: int) -> Window:
    """The fixed window holding ``now`` (in UTC): windows are ``window_seconds`` long, counted from the Unix epoch.

    The same instant gives the same window in every process and every time zone.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a naive datetime has no time zone; pass an aware datetime")
    if window_seconds < 1:
        raise ValueError(f"window_seconds must be >= 1, not {window_seconds}")
    length = timedelta(seconds=window_seconds)
    # In UTC: wall-clock arithmetic in a zone with summer time would stretch or shrink a window.
    starts_at = _EPOCH + (now - _EPOCH) // length * length
    return Window(starts_at, starts_at + length)


def slice_at(now: datetime, rule: Rule) -> Window:
    """The slice a failure at ``now`` is counted in."""
    return window_at(now, rule.slice_seconds)


def counted_from(now: datetime, rule: Rule) -> datetime:
    """The start of the oldest slice still counted at ``now``: the one holding ``now - window``."""
    return slice_at(now - timedelta(seconds=rule.window_seconds), rule).starts_at


def decide(rule: Rule, now: datetime, failures: Mapping[datetime, int]) -> Verdict:
    """May one more attempt be checked at ``now``, given the failures counted per slice start?

    Allowed while the failures of every slice from ``counted_from(now)`` on stay
    under the limit. Why that is enough: take any span of one window length and
    the last failure allowed in it, at t. Every failure of the span lies in
    [t - window, t], so in a slice that ends after t - window: one counted at t,
    which was allowed only with fewer than ``limit`` counted before it.
    A later slice (another process's clock running ahead) counts as well.
    """
    oldest = counted_from(now, rule)
    counted = sorted((start, n) for start, n in failures.items() if start >= oldest and n > 0)
    total = sum(n for _, n in counted)
    if total < rule.limit:
        return Verdict(True, total, 0)
    return Verdict(False, total, _seconds_until_under(rule, now, counted, total))


def _seconds_until_under(rule: Rule, now: datetime, counted: list[tuple[datetime, int]], total: int) -> int:
    """The oldest slices stop counting one by one, each one window after it ended."""
    left, start = total, now
    for start, n in counted:  # with every slice gone none is left, so this ends under any limit >= 1
        left -= n
        if left < rule.limit:
            break
    stops_counting = start + timedelta(seconds=rule.slice_seconds + rule.window_seconds)
    return max(1, math.ceil((stops_counting - now).total_seconds()))


def address_key(address: str | None) -> str:
    """What one IP address is counted under: IPv4 as it is, IPv6 by its /64 network."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
