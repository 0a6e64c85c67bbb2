"""The benchmark's PostgreSQL, and what it tells about the work done on it.

Embedded in a temporary directory, or a fresh database created on the server of
DATABASE_URL (and dropped afterwards): the benchmark never writes into a
database it did not create.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from server.db.embedded import EmbeddedPostgres


class BenchDatabase:
    def __init__(self, external_url: str | None) -> None:
        self.external_url = external_url
        self._embedded: EmbeddedPostgres | None = None
        self._directory: Path | None = None
        self.url = ""
        self.where = ""

    async def start(self) -> str:
        if self.external_url:
            name = f"renkei_bench_{uuid.uuid4().hex[:8]}"
            conn = await asyncpg.connect(self.external_url)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
            self.url, self.where = _with_database(self.external_url, name), "DATABASE_URL's server, a fresh database"
        else:
            # Unix socket paths are limited to ~100 bytes, so keep the directory short.
            self._directory = Path(tempfile.mkdtemp(prefix="rk-bench-", dir="/tmp"))
            self._embedded = EmbeddedPostgres(self._directory / "pg")
            self.url, self.where = self._embedded.start(), "embedded, in a temporary directory"
        return self.url

    def postmaster_pid(self) -> int | None:
        """The embedded server's main process (its CPU can be read); None for DATABASE_URL's server."""
        return self._embedded.postmaster_pid() if self._embedded else None

    async def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
            shutil.rmtree(self._directory or "", ignore_errors=True)
        elif self.url:
            conn = await asyncpg.connect(self.external_url)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(self.url).path.lstrip("/")}" WITH (FORCE)')
            finally:
                await conn.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


@dataclass(frozen=True)
class Activity:
    """Cumulative counters of the whole database at one moment."""

    wal_bytes: int  # WAL written since the server was created
    rows: dict[str, tuple[int, int, int]]  # table -> (inserted, updated, deleted)
    sizes: dict[str, int]  # table -> bytes, indexes and TOAST included
    commits: int  # transactions committed, read-only ones included


async def activity(url: str) -> Activity:
    """Read on a fresh connection after the servers stopped (a backend reports its counts when it ends)."""
    conn = await asyncpg.connect(url)
    try:
        wal = await conn.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
        rows = await conn.fetch("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, pg_total_relation_size(relid) AS size "
                                "FROM pg_stat_user_tables")
        commits = await conn.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
    finally:
        await conn.close()
    return Activity(wal, {r["relname"]: (r["n_tup_ins"], r["n_tup_upd"], r["n_tup_del"]) for r in rows},
                    {r["relname"]: r["size"] for r in rows}, commits)


def _delta(before: Activity, after: Activity, table: str) -> list[int]:
    now, then = after.rows.get(table, (0, 0, 0)), before.rows.get(table, (0, 0, 0))
    return [a - b for a, b in zip(now, then)]


def writes_between(idle_before: Activity, idle_after: Activity, before: Activity, after: Activity,
                   per: int) -> dict[str, dict[str, float]]:
    """Rows inserted / updated / deleted per table, less what an idle run wrote, divided by ``per``."""
    changes: dict[str, dict[str, float]] = {}
    for table in after.rows:
        idle = _delta(idle_before, idle_after, table)
        ins, upd, dele = (max(0, x - y) / per for x, y in zip(_delta(before, after, table), idle))
        if ins or upd or dele:
            changes[table] = {"inserted": ins, "updated": upd, "deleted": dele}
    return changes


async def server_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
