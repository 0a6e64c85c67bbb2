"""Head office manages who can sign in: add, disable, new password."""

from __future__ import annotations

import httpx

from tests.staff.conftest import PASSWORD, sign_in

NEW_CLERK = {"staff_id": "tanaka.002", "branch_code": "002", "role": "branch", "password": "a long first password"}


async def test_head_office_adds_a_clerk_who_can_then_sign_in_to_their_branch(open_console, server, db, log_lines):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    response = await console.post_form("/staff/members", NEW_CLERK)
    assert response.status_code == 303 and response.headers["location"] == "/staff/members?done=added"
    async with httpx.AsyncClient(base_url=server.url) as clerk:
        assert (await sign_in(clerk, "tanaka.002", "a long first password")).status_code == 303
        assert (await clerk.get("/staff/api/session")).json()["branch_code"] == "002"
    stored = await db.fetchval("SELECT password_hash FROM staff WHERE staff_id = 'tanaka.002'")
    assert stored.startswith("$argon2id$")
    entry = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'staff:member:add'")
    assert entry["staff_id"] == "hq-admin" and entry["detail"]["member"] == "tanaka.002"
    assert not any("a long first password" in line for line in log_lines)


async def test_a_new_staff_member_with_bad_details_is_refused_field_by_field(open_console, db):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    cases = [
        ({**NEW_CLERK, "staff_id": "x"}, "staff_id"),
        ({**NEW_CLERK, "staff_id": "hq-admin"}, "staff_id"),
        ({**NEW_CLERK, "branch_code": "02"}, "branch_code"),
        ({**NEW_CLERK, "role": "admin"}, "role"),
        ({**NEW_CLERK, "password": "short"}, "password"),
        ({**NEW_CLERK, "password": " " * 20}, "password"),
    ]
    for form, field in cases:
        page = await console.post_form("/staff/members", form)
        assert page.status_code == 422 and f'id="{field}-error"' in page.text, form
    assert await db.fetchval("SELECT count(*) FROM staff") == 1


async def test_disabling_a_clerk_ends_their_open_session_at_once(open_console, db):
    head_office = await open_console("hq-admin", branch_code="000", role="hq")
    clerk = await open_console("branch001")
    assert (await clerk.http.get("/staff/api/session")).status_code == 200
    response = await head_office.post_form("/staff/members/branch001/disable", {})
    assert response.headers["location"] == "/staff/members?done=disabled"
    assert (await clerk.http.get("/staff/api/session")).status_code == 401
    assert (await sign_in(clerk.http, "branch001")).status_code == 401
    again = await head_office.post_form("/staff/members/branch001/disable", {})
    assert again.headers["location"] == "/staff/members?done=unchanged"


async def test_a_new_password_replaces_the_old_one_lifts_a_lock_and_signs_the_clerk_out(open_console, db):
    head_office = await open_console("hq-admin", branch_code="000", role="hq")
    clerk = await open_console("branch001")
    async with httpx.AsyncClient(base_url=str(clerk.http.base_url)) as guesser:
        for _ in range(5):
            await sign_in(guesser, "branch001", "wrong")
    page = await head_office.http.get("/staff/members")
    assert "サインイン停止中" in page.text.split('data-member="branch001"')[1].split("</tr>")[0]
    response = await head_office.post_form("/staff/members/branch001/password", {"password": "a brand new password"})
    assert response.headers["location"] == "/staff/members?done=password"
    assert (await clerk.http.get("/staff/api/session")).status_code == 401
    assert (await sign_in(clerk.http, "branch001", PASSWORD)).status_code == 401
    assert (await sign_in(clerk.http, "branch001", "a brand new password")).status_code == 303
    short = await head_office.post_form("/staff/members/branch001/password", {"password": "short"})
    assert short.status_code == 422 and 'id="password-branch001-error"' in short.text


async def test_head_office_cannot_disable_itself(open_console):
    head_office = await open_console("hq-admin", branch_code="000", role="hq")
    response = await head_office.post_form("/staff/members/hq-admin/disable", {})
    assert response.status_code == 422
    assert (await head_office.http.get("/staff/api/session")).status_code == 200


async def test_a_branch_clerk_cannot_see_or_change_the_staff_list(open_console, db):
    clerk = await open_console("branch001")
    assert (await clerk.http.get("/staff/members")).status_code == 403
    assert (await clerk.post_form("/staff/members", {**NEW_CLERK, "role": "hq"})).status_code == 403
    assert (await clerk.post_form("/staff/members/branch001/password", {"password": "my own new password"})).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM staff") == 1


async def test_staff_changes_need_the_csrf_token(open_console, db):
    head_office = await open_console("hq-admin", branch_code="000", role="hq")
    assert (await head_office.http.post("/staff/members", data=NEW_CLERK)).status_code == 403
    assert (await head_office.http.post("/staff/members/hq-admin/password", data={"password": "x" * 20})).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM staff") == 1
