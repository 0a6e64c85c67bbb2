"""A new PIN pepper comes in as customers are re-imported; the old one keeps verifying the hashes not yet made again."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx

from tests.cli.conftest import Renkei
from tests.cli.test_customers_import import SUZUKI, YAMADA, write_csv
from tests.conftest import build_test_settings
from tests.flow.walk import Account, Customer, create_client, reason_of

OLD = "0:dev-pin-pepper-not-secret"  # the shipped development pepper, id 0
BOTH = f"2027a:a-new-pepper-brought-in-by-the-bank,{OLD}"
TARO = Account(0, "001", 1, "1234567", "1980-04-01", "1234", ("+819012345678",))
HANAKO = Account(0, "001", 4, "7654321", "1975-12-31", "4321", ("+81524510000",))


async def _pepper_ids(db: asyncpg.Pool) -> dict[str, str]:
    rows = await db.fetch("SELECT account_number, pin_pepper_id FROM account")
    return {row["account_number"]: row["pin_pepper_id"] for row in rows}


async def _pin_screen_answer(server, account: Account) -> str:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.through_pin(account)
        return "passed" if 'action="/flow/consent"' in customer.page else str(reason_of(customer.page))


async def test_a_customer_imported_under_the_old_pepper_passes_the_pin_screen_after_a_new_pepper_comes_in(
    renkei: Renkei, db: asyncpg.Pool, start_server, database_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    assert renkei("customers", "import", str(write_csv(tmp_path, YAMADA, SUZUKI))).returncode == 0
    assert await _pepper_ids(db) == {"1234567": "0", "7654321": "0"}
    reimported = renkei("customers", "import", str(write_csv(tmp_path, YAMADA, name="taro.csv")), env={"RENKEI_PIN_PEPPERS": BOTH})
    assert reimported.returncode == 0, reimported.stderr
    assert "1 updated" in reimported.stdout
    assert await _pepper_ids(db) == {"1234567": "2027a", "7654321": "0"}  # re-imported: the new pepper

    await create_client(db)
    rotated = await start_server(build_test_settings(database_url, RENKEI_PIN_PEPPERS=BOTH))
    assert await _pin_screen_answer(rotated, TARO) == "passed"
    assert await _pin_screen_answer(rotated, HANAKO) == "passed"  # still under the old pepper
    # Once the old pepper is dropped, the customers not re-imported since cannot pass: drop it only after all are.
    dropped_too_soon = await start_server(build_test_settings(database_url, RENKEI_PIN_PEPPERS=BOTH.split(",")[0]))
    assert await _pin_screen_answer(dropped_too_soon, HANAKO) == "B87"
    assert await _pin_screen_answer(dropped_too_soon, TARO) == "passed"


async def test_reimporting_under_the_same_pepper_changes_nothing(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    extract = str(write_csv(tmp_path, YAMADA))
    assert renkei("customers", "import", extract, env={"RENKEI_PIN_PEPPERS": BOTH}).returncode == 0
    again = renkei("customers", "import", extract, env={"RENKEI_PIN_PEPPERS": BOTH})
    assert "1 unchanged" in again.stdout and await _pepper_ids(db) == {"1234567": "2027a"}
