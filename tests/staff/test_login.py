"""Signing in to the staff console: sessions, lockout, CSRF and idle expiry."""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx

from tests.staff.conftest import PASSWORD, csrf_from, sign_in

REFUSED = "スタッフIDまたはパスワードが正しくないか"


async def session_of(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/staff/api/session")


async def test_a_clerk_with_the_right_password_gets_a_session_cookie_only_the_server_can_use(client, add_staff, db):
    await add_staff("branch001")
    response = await sign_in(client, "branch001")
    assert response.status_code == 303 and response.headers["location"] == "/staff/accounts"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("renkei_staff="))
    attributes = cookie.lower()
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/staff" in attributes
    value = cookie.split(";")[0].split("=", 1)[1]
    stored = await db.fetchval("SELECT session_digest FROM staff_session")
    assert stored == hashlib.sha256(value.encode()).digest()
    info = (await session_of(client)).json()
    assert info["staff_id"] == "branch001" and info["role"] == "branch" and info["branch_code"] == "001"


async def test_a_session_id_planted_before_sign_in_is_replaced_by_a_fresh_one(client, add_staff, db):
    await add_staff("branch001")
    client.cookies.set("renkei_staff", "planted-by-someone-else", domain="127.0.0.1", path="/staff")
    response = await sign_in(client, "branch001")
    issued = next(h for h in response.headers.get_list("set-cookie") if h.startswith("renkei_staff="))
    assert "planted-by-someone-else" not in issued
    planted = httpx.AsyncClient(base_url=str(client.base_url), cookies={"renkei_staff": "planted-by-someone-else"})
    async with planted:
        assert (await session_of(planted)).status_code == 401
    assert await db.fetchval("SELECT count(*) FROM staff_session") == 1


async def test_wrong_password_unknown_id_and_disabled_staff_read_exactly_the_same(client, add_staff, db, clock):
    await add_staff("branch001")
    await add_staff("retired01")
    await db.execute("UPDATE staff SET disabled_at = $1 WHERE staff_id = 'retired01'", clock.now())
    pages = [
        await sign_in(client, "branch001", "wrong password"),
        await sign_in(client, "nobody-here"),
        await sign_in(client, "retired01"),
        await sign_in(client, "no spaces allowed!"),
    ]
    assert {page.status_code for page in pages} == {401}
    messages = {page.text.split('role="alert"')[1].split("</p>")[0] for page in pages}
    assert len(messages) == 1 and REFUSED in messages.pop()
    assert (await session_of(client)).status_code == 401


async def test_after_five_wrong_passwords_even_the_right_one_is_refused_until_the_lock_runs_out(client, add_staff, clock):
    await add_staff("branch001")
    for _ in range(5):
        assert (await sign_in(client, "branch001", "wrong password")).status_code == 401
    assert (await sign_in(client, "branch001")).status_code == 401
    clock.advance(minutes=14, seconds=59)
    assert (await sign_in(client, "branch001")).status_code == 401
    clock.advance(seconds=1)
    assert (await sign_in(client, "branch001")).status_code == 303


async def test_a_right_password_forgives_earlier_mistakes(client, add_staff, db):
    await add_staff("branch001")
    for _ in range(4):
        await sign_in(client, "branch001", "wrong password")
    assert (await sign_in(client, "branch001")).status_code == 303
    assert await db.fetchval("SELECT failed_logins FROM staff WHERE staff_id = 'branch001'") == 0


async def test_twenty_parallel_wrong_passwords_reach_the_password_check_no_more_than_five_times(server, add_staff, db):
    await add_staff("branch001")

    async def guess(n: int) -> int:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
            return (await sign_in(browser, "branch001", f"guess {n}")).status_code

    assert set(await asyncio.gather(*(guess(n) for n in range(20)))) == {401}
    checked = await db.fetchval(
        "SELECT count(*) FROM operation_log WHERE event = 'staff:login:failure' AND staff_id = 'branch001'"
    )
    assert checked == 5
    assert await db.fetchval("SELECT failed_logins FROM staff WHERE staff_id = 'branch001'") == 5
    async with httpx.AsyncClient(base_url=server.url) as owner:
        assert (await sign_in(owner, "branch001")).status_code == 401


async def test_the_sign_in_form_refuses_a_missing_or_foreign_csrf_token(client, server, add_staff, db):
    await add_staff("branch001")
    await client.get("/staff/login")
    missing = await client.post("/staff/login", data={"staff_id": "branch001", "password": PASSWORD})
    wrong = await client.post("/staff/login", data={"staff_id": "branch001", "password": PASSWORD, "csrf_token": "x" * 64})
    async with httpx.AsyncClient(base_url=server.url) as other_browser:
        foreign_token = csrf_from((await other_browser.get("/staff/login")).text)
    foreign = await client.post("/staff/login", data={"staff_id": "branch001", "password": PASSWORD, "csrf_token": foreign_token})
    assert [r.status_code for r in (missing, wrong, foreign)] == [403, 403, 403]
    assert await db.fetchval("SELECT count(*) FROM staff_session") == 0
    assert await db.fetchval("SELECT failed_logins FROM staff") == 0


async def test_a_session_ends_after_fifteen_idle_minutes_on_the_application_clock(client, add_staff, clock):
    await add_staff("branch001")
    await sign_in(client, "branch001")
    clock.advance(minutes=14)
    assert (await session_of(client)).status_code == 200
    clock.advance(minutes=14)
    assert (await session_of(client)).status_code == 200
    clock.advance(minutes=15, seconds=1)
    assert (await session_of(client)).status_code == 401
    page = await client.get("/staff/accounts")
    assert page.status_code == 303 and page.headers["location"] == "/staff/login"


async def test_signing_out_ends_the_session_on_the_server(client, add_staff):
    await add_staff("branch001")
    await sign_in(client, "branch001")
    cookie = client.cookies.get("renkei_staff", path="/staff")
    csrf = (await session_of(client)).json()["csrf_token"]
    response = await client.post("/staff/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    async with httpx.AsyncClient(base_url=str(client.base_url), cookies={"renkei_staff": cookie}) as replay:
        assert (await session_of(replay)).status_code == 401


async def test_the_sign_in_page_is_japanese_first_and_carries_the_strict_headers(client):
    page = await client.get("/staff/login")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text and "サインイン" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    english = await client.get("/staff/login?lang=en")
    assert '<html lang="en">' in english.text and "Sign in" in english.text


async def test_no_password_reaches_the_logs(client, add_staff, log_lines):
    await add_staff("branch001")
    await sign_in(client, "branch001", "wrong-secret-words")
    await sign_in(client, "branch001")
    text = "\n".join(log_lines)
    assert "wrong-secret-words" not in text and PASSWORD not in text
    assert any(json.loads(line).get("event") == "staff.login.success" for line in log_lines)


async def test_a_clerk_who_chose_english_keeps_it_on_the_next_pages(open_console):
    console = await open_console("branch001")
    assert '<html lang="en">' in (await console.http.get("/staff/accounts?lang=en")).text
    assert '<html lang="en">' in (await console.http.get("/staff/accounts")).text
    assert "お客様の口座を検索" in (await console.http.get("/staff/accounts?lang=ja")).text


async def test_english_is_chosen_when_the_browser_prefers_it(client):
    page = await client.get("/staff/login", headers={"Accept-Language": "en-US,en;q=0.9,ja;q=0.5"})
    assert '<html lang="en">' in page.text
