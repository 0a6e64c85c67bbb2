"""Throttles against horizontal guessing (pure): failed attempts per IP address and per app.

The account locks (server.policy.locks) stop guessing on one account. Someone
trying one birth date or one PIN on each of many accounts never reaches an
account's limit, so failures are also counted across all accounts: per client
IP address (an IPv6 /64, which one subscriber usually holds whole) and per app,
in fixed windows of the clock. Past a limit the screens answer S02 until the
window ends.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
UNKNOWN_ADDRESS = "unknown"


class Scope(StrEnum):
    IP = "ip"          # the customer's browser, as the server sees it
    CLIENT = "client"  # the app that sent the customer


@dataclass(frozen=True)
class Rule:
    scope: Scope
    limit: int           # failures allowed in one window
    window_seconds: int


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the answer's Retry-After."""
        return max(1, math.ceil((self.ends_at - now).total_seconds()))


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
