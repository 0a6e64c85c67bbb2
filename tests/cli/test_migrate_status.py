"""`renkei migrate status`: applied and pending migrations, and a refusal when the database is newer than this version."""

from __future__ import annotations

import json

import asyncpg

from server.cli.migrate_status import compare
from server.db.migrate import pending_files
from tests.cli.conftest import Renkei

KNOWN = [migration.name for migration in pending_files()]


async def test_a_migrated_database_has_everything_applied_and_nothing_pending(renkei: Renkei) -> None:
    done = renkei("migrate", "status", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"applied": KNOWN, "pending": [], "unknown": [], "changed": []}
    assert renkei("migrate", "status").stdout.splitlines()[1] == "pending: -"


async def test_a_migration_this_version_does_not_know_is_refused(renkei: Renkei, db: asyncpg.Pool) -> None:
    await db.execute("INSERT INTO schema_migration (name, checksum) VALUES ('0099_from_a_newer_renkei.sql', 'x')")
    try:
        refused = renkei("migrate", "status", "--json")
        assert refused.returncode == 1 and "0099_from_a_newer_renkei.sql" in refused.stderr
        assert json.loads(refused.stdout)["unknown"] == ["0099_from_a_newer_renkei.sql"]
    finally:
        await db.execute("DELETE FROM schema_migration WHERE name = '0099_from_a_newer_renkei.sql'")


def test_compare_tells_applied_pending_unknown_and_changed() -> None:
    known = {"0001_a.sql": "1", "0002_b.sql": "2", "0003_c.sql": "3"}
    applied = {"0001_a.sql": "1", "0002_b.sql": "edited", "0009_z.sql": "9"}
    assert compare(known, applied) == {"applied": ["0001_a.sql", "0002_b.sql"], "pending": ["0003_c.sql"],
                                       "unknown": ["0009_z.sql"], "changed": ["0002_b.sql"]}
    assert compare(known, {})["pending"] == list(known)


async def test_plain_migrate_still_applies(renkei: Renkei) -> None:
    done = renkei("migrate")
    assert done.returncode == 0 and "database is up to date" in done.stdout
