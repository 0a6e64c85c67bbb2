"""The maintenance service remembers its last answer for as long as it holds, and never answers otherwise
than the calendar would, whatever order the moments come in."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.clock import TOKYO
from server.maintenance import MaintenanceService
from server.policy.maintenance import AdHocWindow, MaintenanceCalendar, default_rules

# Around the 2nd Sunday of November 2026 (closed from 23:50 the day before until 07:00) and New Year.
STARTS = (datetime(2026, 11, 7, 22, 0, tzinfo=TOKYO), datetime(2026, 12, 31, 20, 0, tzinfo=TOKYO))
moments = st.lists(
    st.tuples(st.sampled_from(STARTS), st.integers(min_value=0, max_value=60 * 60 * 36)).map(
        lambda pair: pair[0] + timedelta(seconds=pair[1])),
    min_size=1, max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(moments)
def test_every_answer_is_the_calendars_whatever_order_the_moments_come_in(times: list[datetime]) -> None:
    service = MaintenanceService(default_rules())
    for moment in times:
        assert service.window_at(moment) == service.calendar.window_at(moment)


def test_a_window_staff_add_counts_at_once_even_where_an_open_answer_was_remembered() -> None:
    service = MaintenanceService(default_rules())
    ten = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
    assert service.window_at(ten) is None
    service.calendar = MaintenanceCalendar(default_rules(), (AdHocWindow(ten, ten + timedelta(hours=1), "復旧作業"),))
    window = service.window_at(ten + timedelta(minutes=1))
    assert window is not None and window.ends_at == ten + timedelta(hours=1)


def test_the_minute_a_window_ends_the_service_is_open_again() -> None:
    service = MaintenanceService(default_rules())
    four = datetime(2026, 11, 24, 4, 0, tzinfo=TOKYO)
    assert service.window_at(four + timedelta(minutes=4)) is not None
    assert service.window_at(four + timedelta(minutes=5)) is None
    assert service.window_at(four + timedelta(minutes=4, seconds=59)) is not None
