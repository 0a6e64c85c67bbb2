"""Migrations: applied once each, in order, safely from several processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from server.db.migrate import MigrationError, migrate, pending_files
from tests.conftest import _admin, _with_database


@pytest.fixture
async def empty_database(database_server_url: str):
    name = f"renkei_empty_{uuid.uuid4().hex[:8]}"
    await _admin(database_server_url, f'CREATE DATABASE "{name}"')
    yield _with_database(database_server_url, name)
    await _admin(database_server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


async def test_an_empty_database_gets_every_migration_then_nothing_more(empty_database: str) -> None:
    conn = await asyncpg.connect(empty_database)
    try:
        first = await migrate(conn)
        tables = await _tables(conn)
        second = await migrate(conn)
        assert first == [m.name for m in pending_files()]
        assert second == []
        assert await _tables(conn) == tables
        assert {"account", "flow", "phone_check", "oauth_grant", "operation_log", "staff", "email_outbox"} <= tables
    finally:
        await conn.close()


async def test_a_migration_edited_after_it_was_applied_is_refused(empty_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE one (id int);")
    conn = await asyncpg.connect(empty_database)
    try:
        assert await migrate(conn, tmp_path) == ["0001_one.sql"]
        (tmp_path / "0001_one.sql").write_text("CREATE TABLE one (id bigint);")
        with pytest.raises(MigrationError, match="0001_one.sql changed"):
            await migrate(conn, tmp_path)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_applied(empty_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (id int);")
    (tmp_path / "0002_broken.sql").write_text("CREATE TABLE half (id int); SELECT no_such_function();")
    conn = await asyncpg.connect(empty_database)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, tmp_path)
        assert "half" not in await _tables(conn)
        assert [r["name"] for r in await conn.fetch("SELECT name FROM schema_migration")] == ["0001_ok.sql"]
    finally:
        await conn.close()


async def test_two_processes_migrating_at_once_apply_each_file_once(empty_database: str) -> None:
    script = (
        "import asyncio, asyncpg, sys\n"
        "from server.db.migrate import migrate\n"
        "async def main():\n"
        "    conn = await asyncpg.connect(sys.argv[1])\n"
        "    print(len(await migrate(conn)))\n"
        "    await conn.close()\n"
        "asyncio.run(main())\n"
    )
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", script, empty_database, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err.decode()[-2000:] for _, err in results]
    counts = sorted(int(out.split()[-1]) for out, _ in results)
    assert counts == [0, len(pending_files())]
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migration") == len(pending_files())
    finally:
        await conn.close()


async def test_the_operation_log_is_append_only(db: asyncpg.Pool, clock) -> None:  # type: ignore[no-untyped-def]
    async with db.acquire() as conn:
        await conn.execute("INSERT INTO operation_log (at, event, outcome) VALUES ($1, 'test:event', 'info')", clock.now())
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE operation_log SET outcome = 'success'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM operation_log")
        assert await conn.fetchval("SELECT count(*) FROM operation_log") == 1
