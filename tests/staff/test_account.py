"""The account screen and its JSON reads: what a clerk sees, and what they may not."""

from __future__ import annotations

from uuid import UUID

from server.db import oplog
from server.db.oplog import Entry
from tests.staff.conftest import fail_identity


async def test_a_clerk_sees_why_their_customer_is_locked_and_when_it_lifts(open_console, add_account, db, clock):
    account_id = await add_account("001-1-1234567")
    await fail_identity(db, account_id, clock.now())
    await oplog.append(db, Entry(at=clock.now(), event="flow:customer:failure", outcome="failure", reason_code="B83",
                                 account_id=account_id, client_id="demo-fintech", name_kana="ヤマダ タロウ"))
    console = await open_console("branch001")
    page = await console.http.get("/staff/accounts/001-1-1234567")
    assert page.status_code == 200
    html = page.text
    identity = html.split('data-lock-kind="identity"')[1].split("</section>")[0]
    assert 'data-locked="true"' in html.split('data-lock-kind="identity"')[1][:40]
    assert "本日の誤り回数" in identity and "3 / 3 回" in identity
    assert "2026-11-25 00:00" in identity
    assert 'data-lock-kind="pin" data-locked="false"' in html
    assert 'data-reason-code="B83"' in html and "本人認証エラーが規定回数に達し" in html


async def test_the_lock_api_answers_exactly_the_contract_shape(open_console, add_account, db, clock):
    account_id = await add_account("001-1-1234567")
    await fail_identity(db, account_id, clock.now())
    console = await open_console("branch001")
    response = await console.http.get("/staff/api/accounts/001-1-1234567/lock")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "identity": {"locked": True, "until": "2026-11-25T00:00:00+09:00", "failures": 3},
        "pin": {"locked": False, "until": None, "failures": 0},
    }


async def test_another_branchs_account_is_answered_exactly_like_one_that_does_not_exist(open_console, add_account):
    await add_account("002-1-2222222")
    console = await open_console("branch001")
    for kind in ("", "/lock", "/log", "/grants"):
        prefix = "/staff/api/accounts/" if kind else "/staff/accounts/"
        other = await console.http.get(f"{prefix}002-1-2222222{kind}")
        missing = await console.http.get(f"{prefix}002-1-9999999{kind}")
        assert other.status_code == missing.status_code == 404
        assert other.text.replace("2222222", "9999999") == missing.text
    search_other = await console.http.get("/staff/accounts?branch_code=002&account_type=1&account_number=2222222")
    search_missing = await console.http.get("/staff/accounts?branch_code=002&account_type=1&account_number=9999999")
    assert search_other.status_code == search_missing.status_code == 404
    assert search_other.text.replace("2222222", "9999999") == search_missing.text


async def test_head_office_sees_every_branch(open_console, add_account):
    await add_account("002-1-2222222")
    console = await open_console("hq-admin", branch_code="000", role="hq")
    assert (await console.http.get("/staff/accounts/002-1-2222222")).status_code == 200
    assert (await console.http.get("/staff/api/accounts/002-1-2222222/lock")).status_code == 200


async def test_the_search_form_takes_the_clerk_to_the_account_and_explains_bad_input(open_console, add_account):
    await add_account("001-4-7654321")
    console = await open_console("branch001")
    form = await console.http.get("/staff/accounts")
    assert 'value="001"' in form.text
    found = await console.http.get("/staff/accounts?branch_code=００１&account_type=4&account_number=7654321")
    assert found.status_code == 303 and found.headers["location"] == "/staff/accounts/001-4-7654321"
    bad = await console.http.get("/staff/accounts?branch_code=1&account_type=x&account_number=<script>")
    assert bad.status_code == 400 and "<script>" not in bad.text and 'role="alert"' in bad.text


async def test_a_moved_account_shows_where_it_went(open_console, add_account):
    await add_account("001-1-1111111", status="moved", moved_to="022-1-2222222")
    console = await open_console("branch001")
    page = await console.http.get("/staff/accounts/001-1-1111111")
    assert 'data-account-status="moved"' in page.text and "022-1-2222222" in page.text
    assert 'href="/staff/accounts/022-1-2222222"' not in page.text  # not this clerk's branch


async def test_linked_apps_are_listed_with_when_they_were_linked_and_when_they_end(open_console, add_account, add_grant):
    await add_grant(await add_account("001-1-1234567"))
    console = await open_console("branch001")
    body = (await console.http.get("/staff/api/accounts/001-1-1234567/grants")).json()
    [app] = body["grants"]
    assert app["client_name"] == "デモ家計簿アプリ" and app["scopes"] == ["accounts:read"]
    assert app["since"] == "2026-11-22T10:00:00+09:00"
    assert app["expires"] == "2026-12-22T10:00:00+09:00"  # 30 days unused comes before 90 days
    page = await console.http.get("/staff/accounts/001-1-1234567")
    assert "デモ家計簿アプリ" in page.text and "デモフィンテック株式会社" in page.text


async def test_an_approval_the_app_never_collected_is_no_link_once_its_code_has_expired(open_console, add_account, add_grant,
                                                                                        db, clock):
    """The customer approved but the app never exchanged its code (it crashed, or was closed): while the code
    can still be collected the clerk sees the link; after that the app holds nothing, and the counter says so."""
    grant_id = await add_grant(await add_account("001-1-1234567"))
    await db.execute("UPDATE oauth_grant SET exchanged_at = NULL, authenticated_at = $2, last_used_at = $2 WHERE id = $1",
                     UUID(grant_id), clock.now())
    console = await open_console("branch001")
    listed = (await console.http.get("/staff/api/accounts/001-1-1234567/grants")).json()["grants"]
    clock.advance(seconds=61)
    later = (await console.http.get("/staff/api/accounts/001-1-1234567/grants")).json()["grants"]
    assert [g["grant_id"] for g in listed] == [grant_id] and later == []


async def test_an_unknown_or_garbled_account_url_is_a_clear_404(open_console):
    console = await open_console("branch001")
    for key in ("001-1-123", "abc", "001-1-1234567%00", "0" * 500):
        response = await console.http.get(f"/staff/accounts/{key}")
        assert response.status_code == 404 and "口座が見つかりません" in response.text


async def test_without_a_session_pages_send_the_clerk_to_sign_in_and_the_api_says_401(client, add_account):
    await add_account("001-1-1234567")
    page = await client.get("/staff/accounts/001-1-1234567")
    assert page.status_code == 303 and page.headers["location"] == "/staff/login"
    api = await client.get("/staff/api/accounts/001-1-1234567/lock")
    assert api.status_code == 401 and api.json()["error"] == "unauthenticated"
