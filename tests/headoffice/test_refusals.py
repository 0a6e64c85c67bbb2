"""S01 and S03 pages count on head office's figures, as every other reason code does, in the flow's branch.

A maintenance window's S01 and a system error's S03 are shown before any
screen's own code runs; they are written to the operation log all the same
(with the request id for an S03), and a line that cannot be written never
changes the page.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import pytest

from server.clock import TOKYO, FrozenClock
from tests.flow.walk import CLIENT_ID, create_account, create_client, reason_of
from tests.headoffice.test_pages import cell

BEFORE_WINDOW = datetime(2026, 11, 24, 3, 59, tzinfo=TOKYO)  # every day 04:00–04:05 is closed (contract §4)
INSIDE_WINDOW = datetime(2026, 11, 24, 4, 2, tzinfo=TOKYO)
AFTER_WINDOW = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
DAY = "2026-11-24"


async def figures_of(open_console, staff_id: str, branch_code: str, role: str) -> dict:  # type: ignore[no-untyped-def]
    clerk = await open_console(staff_id, branch_code=branch_code, role=role)
    response = await clerk.http.get("/staff/api/stats", params={"from": DAY, "to": DAY})
    assert response.status_code == 200
    return response.json()


async def lines_with(db, reason_code: str) -> list:  # type: ignore[no-untyped-def]
    return await db.fetch("SELECT * FROM operation_log WHERE reason_code = $1 ORDER BY id", reason_code)


async def test_maintenance_pages_count_as_s01_in_the_flows_branch(server, db, clock: FrozenClock, browsers, open_console):  # type: ignore[no-untyped-def]
    settings = server.runtime.settings
    await create_client(db)
    taro = await create_account(db, settings)
    under_way = await browsers()
    clock.set(BEFORE_WINDOW)
    await under_way.start()
    await under_way.enter_account(taro)
    clock.set(INSIDE_WINDOW)
    stopped = await under_way.enter_details(taro.birth_date)
    assert stopped.status_code == 503 and reason_of(stopped.text) == "S01"
    arriving = await (await browsers()).start()
    assert arriving.status_code == 503 and reason_of(arriving.text) == "S01"

    clock.set(AFTER_WINDOW)
    head_office = await figures_of(open_console, "hq-clerk", "000", "hq")
    assert head_office["reasons"]["S01"] == 2 and head_office["days"][0]["reasons"]["S01"] == 2
    # The flow under way is branch 001's (its account); the app that was only arriving has no branch yet.
    assert (await figures_of(open_console, "branch001", "001", "branch"))["reasons"]["S01"] == 1
    assert (await figures_of(open_console, "branch002", "002", "branch"))["reasons"]["S01"] == 0
    flow_line, arriving_line = await lines_with(db, "S01")
    assert (flow_line["event"], flow_line["account_masked"], flow_line["client_id"]) == ("flow:closed", "001-1-***4567", CLIENT_ID)
    assert flow_line["flow_id"] is not None and flow_line["detail"] == {"path": "/flow/customer"}
    assert (arriving_line["client_id"], arriving_line["flow_id"], arriving_line["account_masked"]) == (CLIENT_ID, None, None)

    clerk = await open_console("hq-viewer", branch_code="000", role="hq")
    page = (await clerk.http.get("/staff/dashboard", params={"from": DAY, "to": DAY})).text
    assert cell(page, "data-reason", "S01") == "2"
    # Where the refusals and calls that cannot be written down are counted instead.
    assert 'id="reasons-not-here"' in page and 'id="calls-not-here"' in page and "renkei_database_unreachable_total" in page


@asynccontextmanager
async def inserts_failing(db, table: str, when: str) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """Every INSERT into ``table`` whose NEW row meets ``when`` fails, as a real database error (undone after)."""
    await db.execute(f"""CREATE FUNCTION test_failing_insert() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN IF {when} THEN RAISE EXCEPTION 'a fault made by the test'; END IF; RETURN NEW; END $$""")
    await db.execute(f"CREATE TRIGGER test_failing_insert BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION test_failing_insert()")
    try:
        yield
    finally:
        await db.execute(f"DROP TRIGGER test_failing_insert ON {table}")
        await db.execute("DROP FUNCTION test_failing_insert()")


@pytest.fixture
async def phone_screen_bug(db) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """The phone screen's statement fails, as a bug in it would make it."""
    async with inserts_failing(db, "phone_check", "true"):
        yield


async def test_an_unexpected_error_counts_as_s03_with_its_reference_number(  # type: ignore[no-untyped-def]
        server, db, browsers, open_console, phone_screen_bug, log_lines):
    await create_client(db)
    taro = await create_account(db, server.runtime.settings)
    customer = await browsers()
    await customer.start()
    await customer.through_identity(taro)
    failed = await customer.post("/flow/phone")
    assert failed.status_code == 500 and reason_of(failed.text) == "S03"
    request_id = failed.headers["x-request-id"]
    assert request_id in failed.text

    assert (await figures_of(open_console, "hq-clerk", "000", "hq"))["reasons"]["S03"] == 1
    assert (await figures_of(open_console, "branch001", "001", "branch"))["reasons"]["S03"] == 1
    (line,) = await lines_with(db, "S03")
    assert (line["event"], line["account_masked"], line["client_id"]) == ("flow:error", "001-1-***4567", CLIENT_ID)
    assert line["detail"] == {"path": "/flow/phone", "request_id": request_id}
    # The help desk, given the reference number, finds the line in the console and the error in the server's log.
    clerk = await open_console("helpdesk", branch_code="000", role="hq")
    found = (await clerk.http.get("/staff/log", params={"from": DAY, "to": DAY, "reason": "S03"})).text
    assert found.count("<tr data-id=") == 1 and f'data-request-id="{request_id}"' in found
    errors = [json.loads(text) for text in log_lines if '"unexpected_error"' in text]
    assert any(error.get("request_id") == request_id for error in errors)


@pytest.fixture
async def log_refuses_closed_lines(db) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """The operation log refuses S01 lines (a full disk, a lost privilege: any failed write)."""
    async with inserts_failing(db, "operation_log", "NEW.event = 'flow:closed'"):
        yield


async def test_a_line_that_cannot_be_written_leaves_the_page_as_it_was(  # type: ignore[no-untyped-def]
        server, db, clock: FrozenClock, browsers, log_refuses_closed_lines, log_lines):
    await create_client(db)
    clock.set(INSIDE_WINDOW)
    response = await (await browsers()).start()
    assert response.status_code == 503 and reason_of(response.text) == "S01"
    assert await lines_with(db, "S01") == []
    assert any('"oplog.refusal_not_written"' in text and '"S01"' in text for text in log_lines)
