"""役席承認: with [staff] unlock_approval on, a clerk's unlock waits for a second member, a supervisor."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from server.db import locks
from server.policy.locks import LockKind
from tests.conftest import build_test_settings
from tests.staff.test_unlock import customer_tries_birth_date, lock_of

TARO = "001-1-1234567"


@pytest.fixture
def settings(database_url):  # type: ignore[no-untyped-def]
    plain = build_test_settings(database_url)
    return replace(plain, staff=replace(plain.staff, unlock_approval=True))


async def ask_to_unlock(console, key: str = TARO, reason: str = "電話で本人確認済み"):  # type: ignore[no-untyped-def]
    return await console.post_form(f"/staff/accounts/{key}/unlock", {"kind": "identity", "reason": reason, "confirmed": "yes"})


async def waiting_request(db) -> int:  # type: ignore[no-untyped-def]
    return await db.fetchval("SELECT id FROM unlock_request WHERE state = 'pending'")


async def approve(console, request_id: int, note: str = "窓口で本人確認書類を確認", confirmed: bool = True):  # type: ignore[no-untyped-def]
    return await console.post_form(f"/staff/approvals/{request_id}/approve",
                                   {"note": note} | ({"confirmed": "yes"} if confirmed else {}))


async def test_a_clerks_request_waits_for_a_supervisor_whose_approval_lifts_the_lock_all_in_the_history(
        open_console, locked_account, db, clock):
    account_id = await locked_account(TARO)
    clerk = await open_console("branch001")
    response = await ask_to_unlock(clerk)
    assert response.headers["location"] == f"/staff/accounts/{TARO}?done=requested"
    page = await clerk.http.get(response.headers["location"])
    assert "役席の承認" in page.text and "data-pending-request=" in page.text and 'data-locked="true"' in page.text
    assert (await lock_of(clerk, TARO))["identity"]["locked"] is True

    supervisor = await open_console("branch001-sv", role="supervisor")
    request_id = await waiting_request(db)
    listed = await supervisor.http.get("/staff/approvals")
    assert f'data-request="{request_id}"' in listed.text and 'data-requested-by="branch001"' in listed.text
    clock.advance(minutes=3)
    confirm = await approve(supervisor, request_id, confirmed=False)
    assert confirm.status_code == 200 and 'data-confirm="approve"' in confirm.text and "電話で本人確認済み" in confirm.text
    assert (await lock_of(clerk, TARO))["identity"]["locked"] is True
    done = await approve(supervisor, request_id)
    assert done.headers["location"] == f"/staff/accounts/{TARO}?done=lifted"
    assert (await lock_of(clerk, TARO))["identity"]["locked"] is False
    assert (await customer_tries_birth_date(db, account_id, clock.now())).passed

    log = await db.fetch("SELECT event, staff_id, detail FROM operation_log WHERE event LIKE 'staff:lock:%' ORDER BY id")
    assert [(r["event"], r["staff_id"]) for r in log] == [
        ("staff:lock:request", "branch001"), ("staff:lock:approve", "branch001-sv"), ("staff:lock:clear", "branch001-sv")]
    assert log[0]["detail"]["reason"] == "電話で本人確認済み" and log[1]["detail"]["reason"] == "窓口で本人確認書類を確認"
    assert log[2]["detail"].items() >= {"requested_by": "branch001", "approved_by": "branch001-sv", "reason": "電話で本人確認済み"}.items()
    history = (await supervisor.http.get(f"/staff/accounts/{TARO}")).text
    for event in ("staff:lock:request", "staff:lock:approve", "staff:lock:clear"):
        assert f'data-event="{event}"' in history
    assert "窓口で本人確認書類を確認" in history and "電話で本人確認済み" in history


async def test_a_supervisor_cannot_approve_their_own_request_and_a_clerk_cannot_approve_at_all(open_console, locked_account, db):
    await locked_account(TARO)
    supervisor = await open_console("branch001-sv", role="supervisor")
    await ask_to_unlock(supervisor)
    request_id = await waiting_request(db)
    own = await approve(supervisor, request_id)
    assert own.status_code == 403 and "ご自身の依頼" in own.text
    assert 'data-requested-by="branch001-sv"' in (await supervisor.http.get("/staff/approvals")).text
    clerk = await open_console("branch001")
    assert (await approve(clerk, request_id)).status_code == 403
    assert (await clerk.http.get("/staff/approvals")).status_code == 403
    assert (await lock_of(clerk, TARO))["identity"]["locked"] is True
    other = await open_console("branch001-sv2", role="supervisor")
    assert (await approve(other, request_id)).headers["location"] == f"/staff/accounts/{TARO}?done=lifted"


async def test_two_supervisors_approving_at_once_lift_once(open_console, locked_account, db):
    await locked_account(TARO)
    await ask_to_unlock(await open_console("branch001"))
    request_id = await waiting_request(db)
    first, second = await open_console("sv-one", role="supervisor"), await open_console("sv-two", role="supervisor")
    answers = await asyncio.gather(approve(first, request_id), approve(second, request_id))
    assert sorted(a.status_code for a in answers) == [303, 409]
    assert "already" in "".join(a.text for a in answers) or "承認済み" in "".join(a.text for a in answers)
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:clear'") == 1
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:approve'") == 1


async def test_approving_a_request_whose_lock_lifted_at_midnight_says_so(open_console, locked_account, db, clock):
    await locked_account(TARO)
    await ask_to_unlock(await open_console("branch001"))
    request_id = await waiting_request(db)
    clock.advance(hours=14)
    supervisor = await open_console("branch001-sv", role="supervisor")
    assert f'data-request="{request_id}"' not in (await supervisor.http.get("/staff/approvals")).text
    done = await approve(supervisor, request_id)
    assert done.headers["location"] == f"/staff/accounts/{TARO}?done=lapsed"
    assert "既に解除" in (await supervisor.http.get(done.headers["location"])).text
    assert await db.fetchval("SELECT state FROM unlock_request WHERE id = $1", request_id) == "lapsed"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:clear'") == 0


async def test_a_second_request_for_the_same_lock_waits_behind_the_first_and_another_branch_sees_neither(
        open_console, locked_account, db):
    await locked_account(TARO)
    clerk = await open_console("branch001")
    await ask_to_unlock(clerk)
    again = await ask_to_unlock(await open_console("branch001b"))
    assert again.headers["location"] == f"/staff/accounts/{TARO}?done=waiting"
    assert await db.fetchval("SELECT count(*) FROM unlock_request") == 1
    elsewhere = await open_console("branch002-sv", branch_code="002", role="supervisor")
    assert "data-request=" not in (await elsewhere.http.get("/staff/approvals")).text
    assert (await approve(elsewhere, await waiting_request(db))).status_code == 404
    hq = await open_console("hq-admin", branch_code="900", role="hq")
    assert "data-request=" in (await hq.http.get("/staff/approvals")).text


async def test_the_api_asks_too_under_approval(open_console, locked_account, db):
    await locked_account(TARO)
    clerk = await open_console("branch001")
    answer = (await clerk.post_json(f"/staff/api/accounts/{TARO}/lock/clear", {"kind": "identity", "reason": "本人確認済み"})).json()
    assert answer["lifted"] is False and answer["requested"] is True and answer["lock"]["identity"]["locked"] is True
    assert await waiting_request(db) is not None


async def test_approving_a_request_whose_lock_another_member_lifted_meanwhile_says_so(open_console, locked_account, db, clock):
    account_id = await locked_account(TARO)
    await ask_to_unlock(await open_console("branch001"))
    request_id = await waiting_request(db)
    await locks.clear_locks(db, account_id, [LockKind.IDENTITY], cleared_by="operator", now=clock.now())  # renkei locks clear
    supervisor = await open_console("branch001-sv", role="supervisor")
    assert "data-request=" not in (await supervisor.http.get("/staff/approvals")).text  # nothing left to approve
    done = await approve(supervisor, request_id)
    assert done.headers["location"] == f"/staff/accounts/{TARO}?done=lapsed"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:clear'") == 0
