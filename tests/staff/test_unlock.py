"""Lifting a lock: only with a reason, only on one's own branch, always in the operation log."""

from __future__ import annotations

import asyncpg

from server.flow.attempts import guarded_attempt
from server.policy.locks import LockKind
from server.reasons import Reason


async def customer_tries_birth_date(db: asyncpg.Pool, account_id: int, now, right: bool = True):  # type: ignore[no-untyped-def]
    """Screen ②'s attempt, through the function the screen itself uses."""

    async def verify() -> bool:
        return right

    async with db.acquire() as conn:
        return await guarded_attempt(conn, account_id=account_id, kind=LockKind.IDENTITY, limit=3, now=now, verify=verify)


async def lock_of(console, key: str) -> dict:  # type: ignore[no-untyped-def]
    return (await console.http.get(f"/staff/api/accounts/{key}/lock")).json()


async def test_a_clerk_lifts_the_identity_lock_with_a_reason_and_the_customer_gets_through_at_once(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    assert (await customer_tries_birth_date(db, account_id, clock.now())).reason == Reason.B84
    console = await open_console("branch001")
    clock.advance(minutes=5)
    response = await console.post_form("/staff/accounts/001-1-1234567/unlock",
                                       {"kind": "identity", "reason": "電話で本人確認済み", "confirmed": "yes"})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/accounts/001-1-1234567?done=identity"
    page = await console.http.get(response.headers["location"])
    assert 'data-lock-kind="identity" data-locked="false"' in page.text and 'role="status"' in page.text
    assert (await customer_tries_birth_date(db, account_id, clock.now())).passed
    entry = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'staff:lock:clear'")
    assert entry["staff_id"] == "branch001" and entry["at"] == clock.now() and entry["account_id"] == account_id
    assert entry["detail"] == {"kind": "identity", "reason": "電話で本人確認済み"}
    assert "電話で本人確認済み" in page.text  # the log on the screen says why


async def test_after_an_unlock_the_customer_has_a_full_days_allowance_again(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    console = await open_console("branch001")
    await console.post_form("/staff/accounts/001-1-1234567/unlock", {"kind": "identity", "reason": "本人確認済み", "confirmed": "yes"})
    assert (await customer_tries_birth_date(db, account_id, clock.now(), right=False)).reason == Reason.B82
    assert (await lock_of(console, "001-1-1234567"))["identity"] == {"locked": False, "until": None, "failures": 1}


async def test_an_unlock_without_a_reason_or_with_too_long_a_reason_changes_nothing(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    console = await open_console("branch001")
    for reason in ("", "   ", "あ" * 201):
        response = await console.post_form("/staff/accounts/001-1-1234567/unlock", {"kind": "identity", "reason": reason})
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.text and 'id="reason-identity-error"' in response.text
    assert (await console.post_form("/staff/accounts/001-1-1234567/unlock",
                                    {"kind": "everything", "reason": "x"})).status_code == 422
    assert (await lock_of(console, "001-1-1234567"))["identity"]["locked"] is True
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:clear'") == 0


async def test_exactly_two_hundred_characters_of_reason_are_accepted(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    console = await open_console("branch001")
    response = await console.post_form("/staff/accounts/001-1-1234567/unlock", {"kind": "identity", "reason": "あ" * 200, "confirmed": "yes"})
    assert response.status_code == 303


async def test_a_branch_clerk_cannot_unlock_another_branchs_account_by_page_or_api(open_console, locked_account, db, clock):
    account_id = await locked_account("002-1-2222222")
    console = await open_console("branch001")
    page = await console.post_form("/staff/accounts/002-1-2222222/unlock", {"kind": "identity", "reason": "試行", "confirmed": "yes"})
    missing = await console.post_form("/staff/accounts/002-1-9999999/unlock", {"kind": "identity", "reason": "試行", "confirmed": "yes"})
    assert page.status_code == missing.status_code == 404
    assert page.text.replace("2222222", "9999999") == missing.text
    api = await console.post_json("/staff/api/accounts/002-1-2222222/lock/clear", {"kind": "identity", "reason": "試行"})
    api_missing = await console.post_json("/staff/api/accounts/002-1-9999999/lock/clear", {"kind": "identity", "reason": "試行"})
    assert api.status_code == api_missing.status_code == 404 and api.json() == api_missing.json()
    head_office = await open_console("hq-admin", branch_code="000", role="hq")
    assert (await lock_of(head_office, "002-1-2222222"))["identity"]["locked"] is True
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'staff:lock:clear'") == 0


async def test_an_unlock_without_the_csrf_token_is_refused(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    console = await open_console("branch001")
    url = "/staff/accounts/001-1-1234567/unlock"
    missing = await console.http.post(url, data={"kind": "identity", "reason": "本人確認済み"})
    wrong = await console.http.post(url, data={"kind": "identity", "reason": "本人確認済み", "csrf_token": "0" * 64})
    api = await console.http.post("/staff/api/accounts/001-1-1234567/lock/clear", json={"kind": "identity", "reason": "x"})
    api_wrong = await console.http.post("/staff/api/accounts/001-1-1234567/lock/clear",
                                        json={"kind": "identity", "reason": "x"}, headers={"X-CSRF-Token": "0" * 64})
    assert [r.status_code for r in (missing, wrong, api, api_wrong)] == [403, 403, 403, 403]
    assert (await lock_of(console, "001-1-1234567"))["identity"]["locked"] is True


async def test_another_clerks_csrf_token_does_not_work_in_this_session(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    mine = await open_console("branch001")
    theirs = await open_console("branch001b")
    response = await mine.http.post("/staff/accounts/001-1-1234567/unlock",
                                    data={"kind": "identity", "reason": "本人確認済み", "csrf_token": theirs.csrf})
    assert response.status_code == 403


async def test_the_api_lifts_a_lock_and_answers_with_the_new_state(open_console, locked_account, db, clock):
    account_id = await locked_account("001-1-1234567")
    console = await open_console("branch001")
    response = await console.post_json("/staff/api/accounts/001-1-1234567/lock/clear",
                                       {"kind": "identity", "reason": "本人確認済み"})
    assert response.status_code == 200
    assert response.json() == {"lifted": True, "requested": False, "lock": {"identity": {"locked": False, "until": None, "failures": 0},
                                                         "pin": {"locked": False, "until": None, "failures": 0}}}
    again = await console.post_json("/staff/api/accounts/001-1-1234567/lock/clear", {"kind": "identity", "reason": "再"})
    assert again.json()["lifted"] is False
    for bad in ({"kind": "identity"}, {"kind": "identity", "reason": 5}, {"kind": "nope", "reason": "x"}):
        assert (await console.post_json("/staff/api/accounts/001-1-1234567/lock/clear", bad)).status_code == 400
    garbage = await console.http.post("/staff/api/accounts/001-1-1234567/lock/clear", content=b"\xff[",
                                      headers={"X-CSRF-Token": console.csrf, "Content-Type": "application/json"})
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"


async def test_the_log_of_an_unlock_shows_no_full_account_number(open_console, locked_account, db, clock, log_lines):
    account_id = await locked_account("001-1-1234567")
    console = await open_console("branch001")
    await console.post_form("/staff/accounts/001-1-1234567/unlock", {"kind": "identity", "reason": "本人確認済み", "confirmed": "yes"})
    text = "\n".join(log_lines)
    assert "staff.lock.clear" in text and "1234567" not in text


async def test_lifting_asks_for_confirmation_first_and_the_page_alone_changes_nothing(open_console, locked_account, db, clock):
    await locked_account("001-1-1234567")
    console = await open_console("branch001")
    page = await console.post_form("/staff/accounts/001-1-1234567/unlock", {"kind": "identity", "reason": "電話で本人確認済み"})
    assert page.status_code == 200 and 'data-confirm="unlock"' in page.text
    assert "電話で本人確認済み" in page.text and "2026-11-25 00:00" in page.text and "普通" in page.text
    assert 'name="confirmed" value="yes"' in page.text and 'href="/staff/accounts/001-1-1234567"' in page.text
    assert (await lock_of(console, "001-1-1234567"))["identity"]["locked"] is True
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event LIKE 'staff:lock:%'") == 0
