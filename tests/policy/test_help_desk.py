from __future__ import annotations

from datetime import datetime, time

import pytest

from server.policy.help_desk import TOKYO, DeskHours, DeskStatus, desk_status
from server.settings import HelpDeskSettings

HOURS = HelpDeskSettings().hours


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


STATUSES = [
    ("a Monday morning, open", "2026-12-07T10:00", DeskStatus(True, closes_at=jst("2026-12-07T17:00"), opens_at=None)),
    ("9:00 sharp is open", "2026-12-07T09:00", DeskStatus(True, closes_at=jst("2026-12-07T17:00"), opens_at=None)),
    ("8:59 opens at 9:00 today", "2026-12-07T08:59", DeskStatus(False, closes_at=None, opens_at=jst("2026-12-07T09:00"))),
    ("17:00 sharp is closed until the next morning", "2026-12-07T17:00", DeskStatus(False, None, jst("2026-12-08T09:00"))),
    ("a Friday evening opens on Monday", "2026-12-11T18:00", DeskStatus(False, None, jst("2026-12-14T09:00"))),
    ("a Sunday noon opens on Monday", "2026-12-13T12:00", DeskStatus(False, None, jst("2026-12-14T09:00"))),
    ("a public holiday (Culture Day, Tuesday) is closed", "2026-11-03T11:00", DeskStatus(False, None, jst("2026-11-04T09:00"))),
    ("Golden Week with its substitute holiday opens on the 7th", "2026-05-02T11:00", DeskStatus(False, None, jst("2026-05-07T09:00"))),
    ("the sandwiched 国民の休日 of September 2026", "2026-09-22T11:00", DeskStatus(False, None, jst("2026-09-24T09:00"))),
    ("the year-end closure opens on 4 January", "2026-12-30T17:30", DeskStatus(False, None, jst("2027-01-04T09:00"))),
    ("31 December on a weekday is closed", "2027-12-31T10:00", DeskStatus(False, None, jst("2028-01-04T09:00"))),
    ("any time zone reads as Tokyo time", "2026-12-07T01:00:00+00:00", DeskStatus(True, jst("2026-12-07T17:00"), None)),
]


@pytest.mark.parametrize(("now", "expected"), [row[1:] for row in STATUSES], ids=[row[0] for row in STATUSES])
def test_the_desk_is_open_on_working_days_in_its_hours_and_says_when_it_opens_otherwise(now, expected):
    moment = datetime.fromisoformat(now)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)
    assert desk_status(moment, HOURS) == expected


def test_the_banks_own_closing_days_come_from_the_configuration():
    no_year_end = DeskHours(time(9), time(17), frozenset())
    assert desk_status(jst("2026-12-31T10:00"), no_year_end).open_now
    assert not desk_status(jst("2026-12-31T10:00"), HOURS).open_now
