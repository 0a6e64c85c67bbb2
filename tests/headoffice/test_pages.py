"""/staff/dashboard and /staff/log as a clerk's browser gets them: the morning's figures in pictures and tables."""

from __future__ import annotations

import re

from tests.headoffice.conftest import MORNING, Morning, generate_lines

DAY = MORNING.isoformat()


def cell(page: str, attribute: str, value: str) -> str:
    match = re.search(rf'{attribute}="{re.escape(value)}">([^<]*)<', page)
    assert match, f"no {attribute}={value} on the page"
    return match[1]


async def test_head_office_sees_the_morning_as_charts_and_tables(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    response = await clerk.http.get("/staff/dashboard", params={"from": DAY, "to": DAY})
    assert response.status_code == 200
    page = response.text
    for chart in ("chart-funnel", "chart-reasons", "chart-locks", "chart-calls", "chart-apps"):
        assert f'<svg class="chart" id="{chart}" role="img"' in page
    assert cell(page, "data-figure", "approved") == "2"
    assert (cell(page, "data-figure", "median"), cell(page, "data-figure", "p90")) == ("4:00", "4:48")
    assert [cell(page, "data-reason", code) for code in ("B82", "B85", "B87", "B88")] == ["1", "0", "2", "1"]
    assert cell(page, "data-lock", "pin") == "1"
    assert [cell(page, "data-call", key) for key in ("matched", "late", "unregistered", "withheld")] == ["3", "1", "1", "1"]
    # The funnel's bars are the figures: started 5, then ① … ⑥.
    funnel = page[page.index('id="chart-funnel"'):page.index("</svg>", page.index('id="chart-funnel"'))]
    assert re.findall(r'data-value="(\d+)"', funnel) == ["5", "4", "4", "4", "3", "2", "2"]
    assert "script" not in funnel.lower() and "style=" not in page


async def test_a_branch_clerk_sees_their_branch_only(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("branch001", branch_code="001")
    page = (await clerk.http.get("/staff/dashboard", params={"from": DAY, "to": DAY})).text
    assert cell(page, "data-figure", "approved") == "1"
    assert [cell(page, "data-reason", code) for code in ("B82", "B87", "B88")] == ["1", "0", "0"]
    assert "branch 001" in page.lower() or "001" in page


async def test_bad_days_on_the_dashboard_say_why(open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    response = await clerk.http.get("/staff/dashboard", params={"from": "2026-02-30"})
    assert response.status_code == 400 and 'role="alert"' in response.text


async def test_the_log_finds_the_morning_by_reason_code(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    page = (await clerk.http.get("/staff/log", params={"from": DAY, "to": DAY, "reason": "B87"})).text
    assert page.count("<tr data-id=") == 2 and "flow:pin:failure" in page and "002-1-***6789" in page
    b82 = (await clerk.http.get("/staff/log", params={"from": DAY, "reason": "B82", "screen": "customer"})).text
    assert b82.count("<tr data-id=") == 1 and "ヤマダ タロウ" in b82


async def test_a_branch_clerk_cannot_search_another_branch(morning: Morning, open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("branch001", branch_code="001")
    page = (await clerk.http.get("/staff/log", params={"from": DAY, "to": DAY, "branch": "002", "reason": "B87"})).text
    assert page.count("<tr data-id=") == 0
    own = (await clerk.http.get("/staff/log", params={"from": DAY, "to": DAY})).text
    assert own.count("<tr data-id=") > 0 and "002-" not in own


async def test_the_log_pages_by_keyset(db, open_console) -> None:  # type: ignore[no-untyped-def]
    await generate_lines(db, MORNING, 120)
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    first = (await clerk.http.get("/staff/log", params={"from": DAY, "to": DAY})).text
    ids = [int(i) for i in re.findall(r'<tr data-id="(\d+)"', first)]
    older = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert len(ids) == 50 and older
    second = (await clerk.http.get(older[1].replace("&amp;", "&"))).text
    more = [int(i) for i in re.findall(r'<tr data-id="(\d+)"', second)]
    third = (await clerk.http.get(re.search(r'<a href="([^"]+)" rel="next">', second)[1].replace("&amp;", "&"))).text
    rest = [int(i) for i in re.findall(r'<tr data-id="(\d+)"', third)]
    every = await db.fetchval("SELECT count(*) FROM operation_log")  # the 120 and the clerk's sign-in
    assert len(more) == 50 and 'rel="next"' not in third
    assert len(set(ids) | set(more) | set(rest)) == len(ids) + len(more) + len(rest) == every


async def test_bad_filters_say_which(open_console) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    for query, word in (({"account": "1234567"}, "account"), ({"screen": "nowhere"}, "screen"), ({"branch": "1"}, "branch")):
        response = await clerk.http.get("/staff/log", params=query)
        assert response.status_code == 400 and word in response.text
