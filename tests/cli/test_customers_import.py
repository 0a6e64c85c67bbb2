"""`renkei customers import`: the real command on the real database."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from server.customer_import import COLUMNS
from server.hashing import hash_pin, verify_pin
from server.runtime import argon2_params
from server.settings import Settings
from tests.cli.conftest import Renkei

HEADER = ",".join(COLUMNS)
YAMADA = "001,1,1234567,1980-04-01,ヤマダ タロウ,090-1234-5678,1234,true,active"
SUZUKI = "001,4,7654321,1975-12-31,ｽｽﾞｷ ﾊﾅｺ,０５２－４５１－００００; +818022223333,4321,true,active"
TANAKA = "011,1,1111111,1985-06-30,タナカ ミキ,090-5555-6666,2580,TRUE,moved:022-1-2222222"
# What must never be printed or logged: PINs, birth dates, phone numbers, full account numbers.
PERSONAL = ("1234567", "7654321", "1111111", "1980-04-01", "1975-12-31", "1985-06-30",
            "1234-5678", "451-0000", "22223333", "5555-6666")
PINS = (",1234,", ",4321,", ",2580,")


def write_csv(directory: Path, *rows: str, header: str = HEADER, name: str = "customers.csv") -> Path:
    path = directory / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


async def accounts(db: asyncpg.Pool) -> dict[str, asyncpg.Record]:
    rows = await db.fetch("SELECT * FROM account")
    return {f"{r['branch_code']}-{r['account_type']}-{r['account_number']}": r for r in rows}


def assert_nothing_personal(text: str) -> None:
    for value in (*PERSONAL, "1234", "4321", "2580"):
        assert value not in text, f"{value!r} was printed"


async def test_an_extract_is_imported_with_phones_in_e164_and_pins_hashed_with_the_pepper(
    renkei: Renkei, db: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    result = renkei("customers", "import", str(write_csv(tmp_path, YAMADA, SUZUKI, TANAKA)))

    assert result.returncode == 0, result.stderr
    assert "3 rows: 3 inserted, 0 updated, 0 unchanged" in result.stdout
    stored = await accounts(db)
    assert stored["001-4-7654321"]["phones"] == ["+81524510000", "+818022223333"]
    assert stored["001-4-7654321"]["name_kana"] == "スズキ ハナコ"
    assert (stored["011-1-1111111"]["status"], stored["011-1-1111111"]["moved_to"]) == ("moved", "022-1-2222222")
    assert verify_pin(settings.secrets.pin_pepper, "1234", stored["001-1-1234567"]["pin_hash"])
    assert not verify_pin("another-pepper", "1234", stored["001-1-1234567"]["pin_hash"])
    assert "1234" not in stored["001-1-1234567"]["pin_hash"]
    assert_nothing_personal(result.stdout + result.stderr)


async def test_importing_the_same_extract_again_changes_nothing(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    extract = write_csv(tmp_path, YAMADA, SUZUKI, TANAKA)
    assert renkei("customers", "import", str(extract)).returncode == 0
    before = await accounts(db)

    again = renkei("customers", "import", str(extract))

    assert again.returncode == 0, again.stderr
    assert "3 rows: 0 inserted, 0 updated, 3 unchanged" in again.stdout
    assert await accounts(db) == before


async def test_a_changed_row_updates_its_account_and_a_new_row_is_added(
    renkei: Renkei, db: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    assert renkei("customers", "import", str(write_csv(tmp_path, YAMADA, SUZUKI))).returncode == 0
    new_pin_and_phone = "001,1,1234567,1980-04-01,ヤマダ タロウ,080-9999-0000,9876,false,active"

    result = renkei("customers", "import", str(write_csv(tmp_path, new_pin_and_phone, SUZUKI, TANAKA)))

    assert result.returncode == 0, result.stderr
    assert "3 rows: 1 inserted, 1 updated, 1 unchanged" in result.stdout
    yamada = (await accounts(db))["001-1-1234567"]
    assert (yamada["phones"], yamada["cash_card"]) == (["+818099990000"], False)
    assert verify_pin(settings.secrets.pin_pepper, "9876", yamada["pin_hash"])
    assert not verify_pin(settings.secrets.pin_pepper, "1234", yamada["pin_hash"])


async def test_one_bad_row_among_good_ones_imports_nothing_and_leaves_stored_accounts_as_they_were(
    renkei: Renkei, db: asyncpg.Pool, tmp_path: Path
) -> None:
    assert renkei("customers", "import", str(write_csv(tmp_path, YAMADA))).returncode == 0
    before = await accounts(db)
    changed_yamada = "001,1,1234567,1980-04-01,ヤマダ タロウ,080-9999-0000,9876,false,closed"
    bad_pin = "002,1,2222222,1990-01-15,サトウ ジロウ,070-3333-4444,12a4,false,active"

    result = renkei("customers", "import", str(write_csv(tmp_path, changed_yamada, SUZUKI, bad_pin, TANAKA)))

    assert result.returncode == 1
    assert "customers.csv: line 4, pin: must be exactly 4 digits" in result.stderr
    assert "nothing imported" in result.stderr
    assert await accounts(db) == before
    assert "12a4" not in result.stderr


async def test_every_bad_line_is_reported_with_its_line_and_column_and_never_its_pin_or_birth_date(
    renkei: Renkei, db: asyncpg.Pool, tmp_path: Path
) -> None:
    rows = (
        YAMADA,
        "001,4,7654321,2099-12-31,スズキ ハナコ,052-451-0000,43210,true,active",
        "01,1,1111111,1985-06-30,Tanaka,090-5555-666,2580,yes,moved:22-1-2222222",
        SUZUKI,
    )
    result = renkei("customers", "import", str(write_csv(tmp_path, *rows)))

    assert result.returncode == 1
    for where in ("line 3, birth_date", "line 3, pin", "line 4, branch_code", "line 4, name_kana", "line 4, phones",
                  "line 4, cash_card", "line 4, status", "line 5, account_number: the same account as line 3"):
        assert where in result.stderr
    assert "8 problems on 3 lines" in result.stderr
    assert "2099-12-31" not in result.stderr and "43210" not in result.stderr
    assert_nothing_personal(result.stdout + result.stderr)
    assert await db.fetchval("SELECT count(*) FROM account") == 0


async def test_a_header_with_missing_and_unknown_columns_is_refused(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    header = HEADER.replace("cash_card", "card").replace(",status", "")
    result = renkei("customers", "import", str(write_csv(tmp_path, "001,1,1234567,1980-04-01,ア,090-1234-5678,1234,true", header=header)))

    assert result.returncode == 1
    for problem in ("line 1: missing column cash_card", "line 1: missing column status", "line 1: unknown column card"):
        assert problem in result.stderr
    assert await db.fetchval("SELECT count(*) FROM account") == 0


async def test_a_pin_hash_column_stores_the_hash_made_elsewhere_as_it_is(
    renkei: Renkei, db: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    made_elsewhere = hash_pin(settings.secrets.pin_pepper, argon2_params(settings), "1234")
    header = HEADER.replace(",pin,", ",pin_hash,")
    good = YAMADA.replace(",1234,", f',"{made_elsewhere}",')  # quoted: the hash holds commas
    not_argon2 = SUZUKI.replace(",4321,", ",$2b$12$abcdefghijklmnopqrstuv,")

    refused = renkei("customers", "import", str(write_csv(tmp_path, good, not_argon2, header=header)))
    imported = renkei("customers", "import", str(write_csv(tmp_path, good, header=header)))

    assert refused.returncode == 1 and "line 3, pin_hash: must be an argon2 hash" in refused.stderr
    assert imported.returncode == 0, imported.stderr
    assert (await accounts(db))["001-1-1234567"]["pin_hash"] == made_elsewhere
    assert made_elsewhere not in imported.stdout + imported.stderr


async def test_a_shift_jis_extract_needs_its_encoding_named(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    extract = tmp_path / "sjis.csv"
    extract.write_bytes(("\r\n".join((HEADER, YAMADA, SUZUKI)) + "\r\n").encode("cp932"))

    refused = renkei("customers", "import", str(extract))
    imported = renkei("customers", "import", "--encoding", "cp932", str(extract))

    assert refused.returncode == 1 and "line 2 is not utf-8 text" in refused.stderr and "--encoding cp932" in refused.stderr
    assert imported.returncode == 0, imported.stderr
    assert (await accounts(db))["001-1-1234567"]["name_kana"] == "ヤマダ タロウ"


async def test_the_import_is_in_the_operation_log_as_counts_only(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    assert renkei("customers", "import", str(write_csv(tmp_path, YAMADA, SUZUKI))).returncode == 0

    entry = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'customers:import'")

    assert entry["outcome"] == "success"
    assert entry["detail"] == {"rows": 2, "inserted": 2, "updated": 0}
