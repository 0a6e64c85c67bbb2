"""GET /staff/api/stats: exactly the scripted morning's counts, in each clerk's branch scope."""

from __future__ import annotations

import pytest

from tests.flow.walk import create_account, create_client, reason_of
from tests.headoffice.conftest import BRANCH_001, HEAD_OFFICE, MORNING, WRONG_PIN, Morning

DAY = MORNING.isoformat()


def without_hours(document: dict) -> dict:
    return {key: value for key, value in document.items() if key not in ("calls_by_hour", "days", "from", "to", "date")}


async def test_head_office_sees_the_whole_morning(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    response = await clerk.http.get("/staff/api/stats", params={"from": DAY, "to": DAY})
    assert response.status_code == 200
    figures = response.json()
    assert (figures["from"], figures["to"]) == (DAY, DAY)
    assert without_hours(figures) == HEAD_OFFICE
    (day,) = figures["days"]
    assert day["date"] == DAY and without_hours(day) == HEAD_OFFICE
    ten = figures["calls_by_hour"][10]
    assert ten == {"hour": 10, **HEAD_OFFICE["calls"]}
    assert sum(hour["matched"] for hour in figures["calls_by_hour"]) == 3


async def test_a_branch_clerk_sees_their_branchs_flows_only(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("branch001", branch_code="001")
    figures = (await clerk.http.get("/staff/api/stats", params={"from": DAY, "to": DAY})).json()
    assert without_hours(figures) == BRANCH_001


async def test_today_is_the_default_and_other_days_are_empty(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    today = (await clerk.http.get("/staff/api/stats")).json()
    assert today["from"] == today["to"] == DAY and today["started"] == 5
    week = (await clerk.http.get("/staff/api/stats", params={"from": "2026-11-20", "to": "2026-11-26"})).json()
    assert [day["date"] for day in week["days"]] == [f"2026-11-{n}" for n in range(20, 27)]
    assert [day["started"] for day in week["days"]] == [0, 0, 0, 0, 5, 0, 0] and week["started"] == 5
    # A link made on the 24th is live at the end of the 24th (and of the days after, up to now).
    assert [day["apps"][0]["live_links"] if day["apps"] else 0 for day in week["days"]][3:5] == [0, 2]


@pytest.mark.parametrize(("query", "problem"), [
    ({"from": "2026-13-01", "to": "2026-12-01"}, "not a day"),
    ({"from": "2026-11-31"}, "not a day"),
    ({"from": "24/11/2026"}, "YYYY-MM-DD"),
    ({"from": "2026-11-25", "to": "2026-11-24"}, "after"),
    ({"from": "2026-01-01", "to": "2026-12-31"}, "92 days"),
    ({"from": "0001-01-01", "to": "0001-01-02"}, "between"),
    ({"to": "9999-12-31"}, "between"),
])  # fmt: skip
async def test_bad_days_are_a_400_that_says_why(open_console, query: dict, problem: str) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    response = await clerk.http.get("/staff/api/stats", params=query)
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "invalid_request" and problem in response.json()["error_description"]


async def test_without_a_session_the_figures_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/staff/api/stats")
    assert response.status_code == 401 and response.json()["error"] == "unauthenticated"


async def test_a_lock_page_shown_again_counts_again(server, db, browsers, open_console) -> None:  # type: ignore[no-untyped-def]
    await create_client(db)
    saburo = await create_account(db, server.runtime.settings, account_number="3456789")
    customer = await browsers()
    await customer.start()
    await customer.through_phone(saburo)
    for _ in range(3):
        await customer.post("/flow/pin", {"pin": WRONG_PIN})
    assert reason_of(customer.page) == "B88"
    for lang in ("ja", "en"):  # reloaded, then in English: the lock page each time
        again = await customer.open(f"/flow/pin?lang={lang}")
        assert reason_of(again.text) == "B84"
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    figures = (await clerk.http.get("/staff/api/stats", params={"from": DAY, "to": DAY})).json()
    assert (figures["reasons"]["B88"], figures["reasons"]["B84"], figures["locks"]["pin"]) == (1, 2, 1)
