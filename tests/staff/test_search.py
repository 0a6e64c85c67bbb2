"""Finding a customer at the counter by kana name or phone, and the locks in force: always within the clerk's branch."""

from __future__ import annotations

import pytest

from server.policy.kana import search_key
from tests.policy.test_kana import KEYS
from tests.staff.conftest import fail_identity

TARO, HANAKO, SUZUKI = "001-1-1234567", "002-1-2222222", "001-4-7654321"


@pytest.fixture
async def customers(add_account):  # type: ignore[no-untyped-def]
    """Two ヤマダ in two branches sharing a phone (a family), and a スズキ of branch 001 with two numbers."""
    await add_account(TARO, name_kana="ヤマダ タロウ", phones=("+819012345678",))
    await add_account(HANAKO, name_kana="ヤマダ ハナコ", phones=("+819012345678", "+81524510000"))
    await add_account(SUZUKI, name_kana="スズキ ハナコ", phones=("+81524510000", "+818022223333"))


async def found(console, **query: str) -> list[dict]:  # type: ignore[no-untyped-def]
    response = await console.http.get("/staff/api/accounts", params=query)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("typed", ["ヤマダ", "ﾔﾏﾀﾞ", "やまだ", "ヤマダ　", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう", "ヤマダタロウ"])
async def test_a_branch_clerk_finds_their_branchs_customer_by_kana_however_it_is_typed(open_console, customers, typed):
    branch = await open_console("branch001", branch_code="001")
    assert await found(branch, kana=typed) == [{"account": TARO, "name_kana": "ヤマダ タロウ", "status": "active"}]


async def test_head_office_finds_every_branchs_customers_by_kana(open_console, customers):
    hq = await open_console("hq-admin", branch_code="900", role="hq")
    assert [a["account"] for a in await found(hq, kana="ﾔﾏﾀﾞ")] == [TARO, HANAKO]
    assert [a["account"] for a in await found(hq, kana="ハナコ")] == []  # the name's start, not its middle


@pytest.mark.parametrize("typed", ["090-1234-5678", "09012345678", "+819012345678", "０９０－１２３４－５６７８", "+81 90 1234 5678"])
async def test_a_branch_clerk_finds_an_account_by_its_registered_phone_typed_any_way(open_console, customers, typed):
    branch = await open_console("branch001", branch_code="001")
    assert [a["account"] for a in await found(branch, phone=typed)] == [TARO]
    branch2 = await open_console("branch002", branch_code="002")
    assert [a["account"] for a in await found(branch2, phone=typed)] == [HANAKO]


async def test_a_second_registered_number_finds_the_account_too(open_console, customers):
    hq = await open_console("hq-admin", branch_code="900", role="hq")
    assert [a["account"] for a in await found(hq, phone="052-451-0000")] == [SUZUKI, HANAKO]
    branch = await open_console("branch001", branch_code="001")
    assert [a["account"] for a in await found(branch, phone="052-451-0000")] == [SUZUKI]
    assert await found(branch, phone="070-9999-9999") == []


@pytest.mark.parametrize("query", [{"kana": "山田"}, {"kana": "YAMADA"}, {"kana": "ヤマ%"}, {"phone": "12345"},
                                   {"phone": "abc"}, {"kana": "ヤマダ", "phone": "09012345678"}, {}, {"kana": " "}])
async def test_what_cannot_be_searched_for_is_a_clear_400(open_console, customers, query):
    branch = await open_console("branch001", branch_code="001")
    response = await branch.http.get("/staff/api/accounts", params=query)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request" and response.json()["error_description"]


async def test_the_search_screen_lists_what_it_found_with_the_account_type_by_name(open_console, customers):
    branch = await open_console("branch001", branch_code="001")
    page = await branch.http.get("/staff/accounts", params={"kana": "ｽｽﾞｷ"})
    assert page.status_code == 200
    assert f'href="/staff/accounts/{SUZUKI}"' in page.text and "貯蓄" in page.text and 'data-results="1"' in page.text
    page = await branch.http.get("/staff/accounts", params={"phone": "090-1234-5678"})
    assert f'data-account="{TARO}"' in page.text and HANAKO not in page.text and "普通" in page.text
    refused = await branch.http.get("/staff/accounts", params={"kana": "山田"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text and "カナ" in refused.text


async def test_the_locked_now_list_shows_the_branchs_locks_and_when_each_lifts(open_console, add_account, db, clock):
    taro, hanako = await add_account(TARO), await add_account(HANAKO, name_kana="ヤマダ ハナコ")
    await fail_identity(db, taro, clock.now())
    await fail_identity(db, hanako, clock.now())
    branch = await open_console("branch001", branch_code="001")
    assert (await branch.http.get("/staff/api/locks")).json() == [
        {"account": TARO, "kind": "identity", "until": "2026-11-25T00:00:00+09:00"}]
    hq = await open_console("hq-admin", branch_code="900", role="hq")
    assert [lock["account"] for lock in (await hq.http.get("/staff/api/locks")).json()] == [TARO, HANAKO]
    page = await branch.http.get("/staff/locks")
    assert 'data-locks="1"' in page.text and "2026-11-25 00:00" in page.text and HANAKO not in page.text
    english = await branch.http.get("/staff/locks", params={"lang": "en"})
    assert "Accounts locked now" in english.text and "Identity lock (birth date)" in english.text

    await branch.post_json(f"/staff/api/accounts/{TARO}/lock/clear", {"kind": "identity", "reason": "本人確認済み"})
    assert (await branch.http.get("/staff/api/locks")).json() == []
    clock.advance(hours=14)  # past 00:00: every lock of yesterday has lifted by itself
    hq_next_day = await open_console("hq-next-day", branch_code="900", role="hq")
    assert (await hq_next_day.http.get("/staff/api/locks")).json() == []


async def test_the_database_computes_the_same_kana_key_as_the_search(add_account, db):
    for number, (_case, typed, key) in enumerate(KEYS):
        account_id = await add_account(f"001-1-{number:07d}", name_kana=typed)
        assert await db.fetchval("SELECT name_kana_key FROM account WHERE id = $1", account_id) == search_key(typed) == key


@pytest.mark.parametrize(("query", "args"), [
    ("SELECT id FROM account WHERE name_kana_key LIKE $1 || '%' AND branch_code = $2", ("ヤマダ", "001")),
    ("SELECT id FROM account WHERE phones @> ARRAY[$1::text]", ("+819012345678",)),
    ("SELECT account_id FROM account_failure WHERE locked_until > $1 AND cleared_at IS NULL", (None,)),
])
async def test_each_search_has_an_index_it_can_use(db, clock, query, args):
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {query}", *[a or clock.now() for a in args]))
    assert "Index" in plan and "Seq Scan" not in plan, plan
