"""`renkei seed-demo`: the demo data of contract §9, loaded once however often it runs."""

from __future__ import annotations

import asyncpg

from server.hashing import token_digest, verify_password, verify_pin
from server.settings import Settings
from tests.cli.conftest import PRODUCTION, Renkei


async def snapshot(db: asyncpg.Pool) -> dict[str, list]:
    return {
        table: [dict(r) for r in await db.fetch(f"SELECT * FROM {table} ORDER BY 1, 2")]
        for table in ("account", "oauth_client", "staff")
    }


async def test_seeding_twice_loads_the_demo_data_once_and_changes_nothing_the_second_time(
    renkei: Renkei, db: asyncpg.Pool
) -> None:
    first = renkei("seed-demo")
    loaded = await snapshot(db)
    second = renkei("seed-demo")

    assert first.returncode == 0, first.stderr
    assert "5 rows: 5 inserted, 0 updated, 0 unchanged" in first.stdout
    assert "hq-admin, branch001, branch001-sv added" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "5 rows: 0 inserted, 0 updated, 5 unchanged" in second.stdout
    assert "demo-fintech, demo-sandbox, demo-bank-api added" in first.stdout
    assert "demo clients: already there" in second.stdout
    assert [len(rows) for rows in loaded.values()] == [5, 3, 3]
    assert await snapshot(db) == loaded


async def test_the_demo_accounts_are_those_of_the_contract_and_their_pins_verify_with_the_pepper(
    renkei: Renkei, db: asyncpg.Pool, settings: Settings
) -> None:
    assert renkei("seed-demo").returncode == 0
    rows = {f"{r['branch_code']}-{r['account_type']}-{r['account_number']}": r for r in await db.fetch("SELECT * FROM account")}

    assert sorted(rows) == ["001-1-1234567", "001-4-7654321", "002-1-2222222", "011-1-1111111", "022-1-2222222"]
    for account, pin in (("001-1-1234567", "1234"), ("001-4-7654321", "4321"), ("022-1-2222222", "2580")):
        assert verify_pin(settings.secrets.pin_pepper, pin, rows[account]["pin_hash"])
    assert not verify_pin(settings.secrets.pin_pepper, "1235", rows["001-1-1234567"]["pin_hash"])
    assert rows["001-4-7654321"]["phones"] == ["+81524510000", "+818022223333"]
    assert rows["002-1-2222222"]["cash_card"] is False
    assert (rows["011-1-1111111"]["status"], rows["011-1-1111111"]["moved_to"]) == ("moved", "022-1-2222222")


async def test_the_demo_app_and_staff_sign_in_with_the_published_secrets(renkei: Renkei, db: asyncpg.Pool) -> None:
    assert renkei("seed-demo").returncode == 0
    clients = {r["client_id"]: r for r in await db.fetch("SELECT * FROM oauth_client")}
    staff = {r["staff_id"]: r for r in await db.fetch("SELECT * FROM staff")}

    app, sandbox, bank_api = clients["demo-fintech"], clients["demo-sandbox"], clients["demo-bank-api"]
    assert (app["profile"], app["auth_method"], app["require_par"], app["require_dpop"]) == ("fapi2", "private_key_jwt", True, True)
    assert app["jwks_uri"] == "http://127.0.0.1:8080/jwks.json" and app["secret_digest"] is None
    assert sandbox["secret_digest"] == token_digest("demo-secret") and sandbox["auth_method"] == "client_secret_basic"
    for demo_app in (app, sandbox):
        assert demo_app["redirect_uris"] == ["http://127.0.0.1:8080/callback"]
        assert demo_app["scopes"] == ["accounts:read", "transactions:read"]
    assert (bank_api["kind"], bank_api["secret_digest"]) == ("resource_server", token_digest("demo-bank-api-secret"))
    assert (staff["hq-admin"]["role"], staff["hq-admin"]["branch_code"]) == ("hq", "000")
    assert (staff["branch001"]["role"], staff["branch001"]["branch_code"]) == ("branch", "001")
    assert (staff["branch001-sv"]["role"], staff["branch001-sv"]["branch_code"]) == ("supervisor", "001")
    assert all(verify_password("demo-password", member["password_hash"]) for member in staff.values())


async def test_a_demo_app_seeded_before_it_signed_its_requests_is_moved_to_fapi2(renkei: Renkei, db: asyncpg.Pool) -> None:
    await db.execute(
        """INSERT INTO oauth_client (client_id, kind, name, operator, profile, auth_method, secret_digest, redirect_uris,
                                     scopes, require_par, require_dpop, created_at)
           VALUES ('demo-fintech', 'app', 'デモ家計簿アプリ', '', 'sandbox', 'client_secret_basic', $1,
                   '{http://127.0.0.1:8080/callback}', '{accounts:read,transactions:read}', false, false, now())""",
        token_digest("demo-secret"))
    assert renkei("seed-demo", "--demo-app-url", "http://127.0.0.1:9090").returncode == 0
    app = await db.fetchrow("SELECT * FROM oauth_client WHERE client_id = 'demo-fintech'")
    assert (app["profile"], app["auth_method"], app["jwks_uri"]) == ("fapi2", "private_key_jwt", "http://127.0.0.1:9090/jwks.json")
    assert app["redirect_uris"] == ["http://127.0.0.1:8080/callback", "http://127.0.0.1:9090/callback"]


async def test_production_refuses_the_demo_data(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("seed-demo", env=PRODUCTION)

    assert result.returncode == 1
    assert "refused in production" in result.stderr
    assert await db.fetchval("SELECT count(*) FROM account") == 0
