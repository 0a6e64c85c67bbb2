from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.hashing import token_digest
from server.policy.client_secrets import CURRENT, PREVIOUS, overlap, previous_secret_end, secret_matched

NOW = datetime(2026, 4, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
NEW, OLD = token_digest("new secret"), token_digest("old secret")


@pytest.mark.parametrize(("text", "length"), [
    ("0", timedelta(0)), ("0h", timedelta(0)), ("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)), ("1d12h", timedelta(hours=36)), ("2h30m", timedelta(minutes=150)), (" 24H ", timedelta(hours=24)),
    ("30d", timedelta(days=30)),
])
def test_an_overlap_is_read_in_days_hours_and_minutes(text: str, length: timedelta) -> None:
    assert overlap(text) == length


@pytest.mark.parametrize("text", ["", "24", "soon", "-1h", "1.5h", "31d", "720h1m", "h", "12h1d", "PT24H"])
def test_anything_else_or_longer_than_30_days_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        overlap(text)


def test_no_overlap_keeps_no_previous_secret() -> None:
    assert previous_secret_end(NOW, timedelta(0)) is None
    assert previous_secret_end(NOW, timedelta(hours=24)) == NOW + timedelta(hours=24)


@pytest.mark.parametrize(("presented", "previous", "ends_at", "now", "matched"), [
    (NEW, OLD, NOW + timedelta(hours=1), NOW, CURRENT),
    (OLD, OLD, NOW + timedelta(hours=1), NOW, PREVIOUS),
    (OLD, OLD, NOW + timedelta(seconds=1), NOW, PREVIOUS),
    (OLD, OLD, NOW, NOW, None),  # at its end time it no longer works
    (OLD, OLD, NOW - timedelta(hours=1), NOW, None),
    (OLD, None, None, NOW, None),
    (NEW, None, None, NOW, CURRENT),
    (token_digest("a guess"), OLD, NOW + timedelta(hours=1), NOW, None),
    (bytes(32), None, None, NOW, None),  # the stand-in compared against when there is no previous secret
])
def test_the_current_secret_always_works_the_previous_one_until_its_end(
    presented: bytes, previous: bytes | None, ends_at: datetime | None, now: datetime, matched: str | None,
) -> None:
    assert secret_matched(presented, NEW, previous, ends_at, now) == matched


def test_a_client_without_a_secret_matches_nothing() -> None:
    assert secret_matched(bytes(32), None, None, None, NOW) is None
    assert secret_matched(OLD, None, OLD, NOW + timedelta(hours=1), NOW) == PREVIOUS
