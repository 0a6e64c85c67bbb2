"""Maintenance windows from the console: head office adds and cancels, every server obeys at once."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import build_test_settings

WINDOW = {"starts_at": "2026-11-24T10:00", "ends_at": "2026-11-24T11:30", "reason": "臨時メンテナンス(勘定系切替)"}


async def reason_code_at(base_url: str, path: str = "/flow/account") -> str | None:
    async with httpx.AsyncClient(base_url=base_url) as customer:
        page = await customer.get(path)
    marker = 'data-reason-code="'
    return page.text.split(marker)[1].split('"')[0] if marker in page.text else None


async def eventually(check, expected, seconds: float = 3.0):  # type: ignore[no-untyped-def]
    """``await check()`` until it returns ``expected`` (NOTIFY crosses processes in milliseconds)."""
    value = None
    for _ in range(int(seconds / 0.05)):
        value = await check()
        if value == expected:
            return value
        await asyncio.sleep(0.05)
    return value


async def test_a_window_head_office_adds_stops_customers_with_s01_on_every_server(
    open_console, start_server, database_url, server
):
    other_server = await start_server(build_test_settings(database_url))
    assert await reason_code_at(server.url) != "S01"
    assert await reason_code_at(other_server.url) != "S01"
    console = await open_console("hq-admin", branch_code="000", role="hq")
    response = await console.post_form("/staff/maintenance", WINDOW)
    assert response.status_code == 303 and response.headers["location"] == "/staff/maintenance?done=added"
    assert await reason_code_at(server.url) == "S01"
    assert await reason_code_at(server.url, "/authorize?client_id=x") == "S01"
    assert await eventually(lambda: reason_code_at(other_server.url), "S01") == "S01"
    page = await console.http.get("/staff/maintenance?done=added")
    assert "臨時メンテナンス(勘定系切替)" in page.text and 'data-added-by-staff="true"' in page.text


async def test_a_cancelled_window_opens_the_service_again_everywhere(open_console, start_server, database_url, server, db):
    other_server = await start_server(build_test_settings(database_url))
    console = await open_console("hq-admin", branch_code="000", role="hq")
    added = await console.post_json("/staff/api/maintenance-windows", WINDOW)
    assert added.status_code == 201
    window_id = added.json()["id"]
    assert await eventually(lambda: reason_code_at(other_server.url), "S01") == "S01"
    cancelled = await console.post_form(f"/staff/maintenance/{window_id}/cancel", {})
    assert cancelled.headers["location"] == "/staff/maintenance?done=cancelled"
    assert await reason_code_at(server.url) is None
    assert await eventually(lambda: reason_code_at(other_server.url), None) is None
    events = [r["event"] for r in await db.fetch("SELECT event FROM operation_log WHERE staff_id = 'hq-admin' ORDER BY id")]
    assert events[-2:] == ["staff:maintenance:add", "staff:maintenance:cancel"]
    again = await console.post_json(f"/staff/api/maintenance-windows/{window_id}/cancel", {})
    assert again.status_code == 404


async def test_the_calendar_lists_the_published_windows_of_the_next_thirty_days(open_console):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    body = (await console.http.get("/staff/api/maintenance-windows")).json()
    starts = [w["starts_at"] for w in body["calendar"]]
    assert starts[0] == "2026-11-25T00:00:00+09:00"  # the daily minute after midnight comes first
    assert "2026-12-07T02:00:00+09:00" in starts  # 1st Monday of December, 02:00-06:00
    assert "2026-12-12T23:50:00+09:00" in starts  # the eve of the 2nd Sunday
    assert all(s < "2026-12-24T10:00" for s in starts)
    assert not any(w["added_by_staff"] for w in body["calendar"])
    page = await console.http.get("/staff/maintenance")
    assert page.status_code == 200 and "2026-12-07 02:00" in page.text


async def test_a_branch_clerk_may_look_at_the_calendar_but_not_change_it(open_console, db):
    console = await open_console("branch001")
    page = await console.http.get("/staff/maintenance")
    assert page.status_code == 200 and 'action="/staff/maintenance"' not in page.text
    assert (await console.post_form("/staff/maintenance", WINDOW)).status_code == 403
    assert (await console.post_json("/staff/api/maintenance-windows", WINDOW)).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM maintenance_window") == 0


async def test_a_window_that_makes_no_sense_is_explained_and_not_added(open_console, db):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    bad_windows = [
        ({**WINDOW, "ends_at": "2026-11-24T09:00"}, "ends_at"),
        ({**WINDOW, "starts_at": "2026-11-20T09:00", "ends_at": "2026-11-21T09:00"}, "ends_at"),
        ({**WINDOW, "ends_at": "2027-11-24T11:30"}, "ends_at"),
        ({**WINDOW, "starts_at": "tomorrow"}, "starts_at"),
        ({**WINDOW, "starts_at": "0001-01-01T00:00+14:00"}, "starts_at"),  # before Tokyo time can begin: was a 500
        ({**WINDOW, "reason": ""}, "reason"),
        ({**WINDOW, "reason": "改行\nあり"}, "reason"),
        ({**WINDOW, "reason": "x" * 201}, "reason"),
    ]
    for window, field in bad_windows:
        page = await console.post_form("/staff/maintenance", window)
        assert page.status_code == 422 and f'id="{field}-error"' in page.text, window
        api = await console.post_json("/staff/api/maintenance-windows", window)
        assert api.status_code == 400 and api.json()["error_description"].startswith(field)
    assert (await console.post_json("/staff/api/maintenance-windows", {"starts_at": 1})).status_code == 400
    assert await db.fetchval("SELECT count(*) FROM maintenance_window") == 0


async def test_a_window_with_a_utc_offset_is_understood_in_japan_time(open_console):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    added = await console.post_json("/staff/api/maintenance-windows",
                                    {"starts_at": "2026-11-24T03:00:00Z", "ends_at": "2026-11-24T04:00:00Z", "reason": "UTC"})
    assert added.json()["starts_at"] == "2026-11-24T12:00:00+09:00"


async def test_adding_a_window_needs_the_csrf_token(open_console, db):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    assert (await console.http.post("/staff/maintenance", data=WINDOW)).status_code == 403
    assert (await console.http.post("/staff/api/maintenance-windows", json=WINDOW)).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM maintenance_window") == 0


async def test_cancelling_a_window_that_does_not_exist_says_so_plainly(open_console):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    response = await console.post_form("/staff/maintenance/99999999999999999999/cancel", {})
    assert response.status_code == 303 and response.headers["location"] == "/staff/maintenance?done=gone"
