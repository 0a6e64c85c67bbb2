"""Apply the ordered SQL files under sql/, each once, each in its own transaction.

An advisory lock makes concurrent starts safe: the second process waits, then
finds nothing left to do. A file changed after it was applied is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from server.logs import get_logger
from server.settings import shipped

SQL_DIR = shipped("sql")
_LOCK_KEY = 0x52454E4B45490001  # "RENKEI" + 1: the migration lock's advisory key

log = get_logger(__name__)


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def pending_files(sql_dir: Path = SQL_DIR) -> list[Migration]:
    files = sorted(p for p in sql_dir.glob("*.sql") if p.name[:4].isdigit())
    return [Migration(p.name, p.read_text(encoding="utf-8")) for p in files]


async def migrate(conn: asyncpg.Connection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply what is new; return the names applied by this call."""
    # A migration may rewrite a big table: no statement_timeout until RESET gives back the pool's.
    await conn.execute("SET statement_timeout = 0")
    # Lock first: two processes creating the bookkeeping table at once collide.
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migration (
                   name text PRIMARY KEY,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"""
        )
        applied = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migration")}
        done = []
        for migration in pending_files(sql_dir):
            if migration.name in applied:
                if applied[migration.name] != migration.checksum:
                    raise MigrationError(f"{migration.name} changed after it was applied; add a new migration instead")
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute("INSERT INTO schema_migration (name, checksum) VALUES ($1, $2)", migration.name, migration.checksum)
            log.info("migration.applied", name=migration.name)
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        await conn.execute("RESET statement_timeout")
