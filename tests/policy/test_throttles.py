"""Throttle windows, slices and address keys (pure): the same instant is the same window everywhere.

The sliding rule itself (decide) is in test_throttles_sliding.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.policy.throttles import UNKNOWN_ADDRESS, address_key, window_at

TOKYO = ZoneInfo("Asia/Tokyo")
ZONES = st.sampled_from([TOKYO, timezone.utc, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=45))])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=ZONES)
LENGTHS = st.integers(min_value=1, max_value=86_400)


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


WINDOWS = [
    ("ten-minute windows start on the tens", jst("2026-11-24T10:07:31"), 600, jst("2026-11-24T10:00"), jst("2026-11-24T10:10")),
    ("a window's first instant is in it", jst("2026-11-24T10:10"), 600, jst("2026-11-24T10:10"), jst("2026-11-24T10:20")),
    ("a window's last instant is in it", jst("2026-11-24T10:09:59.999999"), 600, jst("2026-11-24T10:00"), jst("2026-11-24T10:10")),
    ("one-minute windows start on the minute", jst("2026-11-24T23:59:59"), 60, jst("2026-11-24T23:59"), jst("2026-11-25T00:00")),
]


@pytest.mark.parametrize(("now", "seconds", "starts", "ends"), [w[1:] for w in WINDOWS], ids=[w[0] for w in WINDOWS])
def test_window_at(now: datetime, seconds: int, starts: datetime, ends: datetime) -> None:
    window = window_at(now, seconds)
    assert (window.starts_at, window.ends_at) == (starts, ends)


@given(now=MOMENTS, seconds=LENGTHS)
def test_every_moment_lies_in_exactly_its_window(now: datetime, seconds: int) -> None:
    window = window_at(now, seconds)
    assert window.starts_at <= now < window.ends_at
    assert window.ends_at - window.starts_at == timedelta(seconds=seconds)
    assert window_at(window.ends_at, seconds).starts_at == window.ends_at  # windows tile time


@given(now=MOMENTS, seconds=LENGTHS, zone=ZONES)
def test_the_window_does_not_depend_on_the_zone_the_question_is_asked_in(now: datetime, seconds: int, zone) -> None:  # type: ignore[no-untyped-def]
    assert window_at(now, seconds).starts_at == window_at(now.astimezone(zone), seconds).starts_at


def test_naive_times_and_empty_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        window_at(datetime(2026, 11, 24, 10, 0), 600)
    with pytest.raises(ValueError, match="window_seconds"):
        window_at(jst("2026-11-24T10:00"), 0)


ADDRESSES = [
    ("an IPv4 address is counted as itself", "203.0.113.7", "203.0.113.7"),
    ("an IPv6 address is counted by its /64", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
    ("another address in the same /64 is the same subscriber", "2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("an IPv4-mapped IPv6 address is its IPv4 address", "::ffff:203.0.113.7", "203.0.113.7"),
    ("no address at all is counted together", None, UNKNOWN_ADDRESS),
    ("something that is not an address is counted together", "not-an-address", UNKNOWN_ADDRESS),
]


@pytest.mark.parametrize(("address", "key"), [a[1:] for a in ADDRESSES], ids=[a[0] for a in ADDRESSES])
def test_address_key(address: str | None, key: str) -> None:
    assert address_key(address) == key


@given(st.text(max_size=60))
def test_any_text_as_an_address_gives_a_key_and_never_an_error(text: str) -> None:
    assert address_key(text)
