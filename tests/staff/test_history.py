"""The account's history: apps by name and operator, the customer's screen steps grouped per flow, paged."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

import pytest

from server.db import oplog
from server.staff.history import PAGE_LINES, group_by_flow, read_page

TARO = "001-1-1234567"


@pytest.mark.parametrize(("text", "page"), [(None, 1), ("", 1), ("1", 1), ("3", 3), ("0", 1), ("-2", 1), ("x", 1),
                                             ("２", 1), ("²", 1), ("99999999999999999999", 10_000)])
def test_the_page_asked_for(text, page):
    assert read_page(text) == page


def test_consecutive_lines_of_one_flow_make_one_group_and_other_lines_stand_alone():
    lines = [{"flow_id": "a", "app": "家計簿"}, {"flow_id": "a"}, {"flow_id": None}, {"flow_id": "b"}, {"flow_id": "a"}]
    groups = group_by_flow(lines)
    assert [(g["flow_id"], len(g["lines"])) for g in groups] == [("a", 2), (None, 1), ("b", 1), ("a", 1)]
    assert groups[0]["app"] == "家計簿"


async def a_flow_of_screens(db, account_id: int, at, client_id: str = "demo-fintech") -> None:  # type: ignore[no-untyped-def]
    flow_id = uuid4()
    for minute, event in enumerate(("flow:start", "flow:account:success", "flow:customer:failure")):
        await oplog.append(db, oplog.Entry(at=at + timedelta(minutes=minute), event=event, outcome="success",
                                           account_id=account_id, client_id=client_id, flow_id=flow_id,
                                           reason_code="B82" if event.endswith("failure") else None))


async def test_the_history_names_the_app_and_its_operator_and_groups_each_flows_steps(
        open_console, add_account, add_grant, db, clock):
    account_id = await add_account(TARO)
    await add_grant(account_id)  # registers the demo app, デモ家計簿アプリ of デモフィンテック株式会社
    await a_flow_of_screens(db, account_id, clock.now() - timedelta(hours=2))
    await a_flow_of_screens(db, account_id, clock.now() - timedelta(hours=1))
    console = await open_console("branch001")
    page = (await console.http.get(f"/staff/accounts/{TARO}")).text
    assert page.count('<tbody class="flow"') == 2 and page.count('class="flow-head"') == 2
    assert "デモ家計簿アプリ" in page and "デモフィンテック株式会社" in page
    assert ">demo-fintech<" not in page  # the app by name, not its client id
    assert 'data-reason-code="B82"' in page and "3 件の手順" in page


async def test_the_history_is_paged_newest_first(open_console, add_account, db, clock):
    account_id = await add_account(TARO)
    for n in range(PAGE_LINES + 5):
        await oplog.append(db, oplog.Entry(at=clock.now() - timedelta(minutes=n), event="staff:grant:revoke",
                                           outcome="success", account_id=account_id, staff_id=f"clerk{n:02d}"))
    console = await open_console("branch001")
    first = (await console.http.get(f"/staff/accounts/{TARO}")).text
    assert len(re.findall(r"<tr data-event=", first)) == PAGE_LINES and "clerk00" in first and "clerk34" not in first
    assert 'href="?page=2#log"' in first and 'rel="prev"' not in first
    second = (await console.http.get(f"/staff/accounts/{TARO}", params={"page": "2"})).text
    assert len(re.findall(r"<tr data-event=", second)) == 5 and "clerk34" in second and "clerk00" not in second
    assert 'href="?page=1#log"' in second and 'rel="next"' not in second
    api = (await console.http.get(f"/staff/api/accounts/{TARO}/log", params={"page": "2"})).json()
    assert [line["staff_id"] for line in api["log"]] == [f"clerk{n}" for n in range(30, 35)]
