"""The asyncpg pool, and where its URL comes from."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg

from server.db.embedded import EmbeddedPostgres
from server.settings import Settings


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


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10, statement_cache_size: int = 100) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        statement_cache_size=statement_cache_size,
        init=_init_connection,
        reset=_keep_session,
        # Session time zone is irrelevant to policy (the app decides times) but
        # keeps psql output readable for operators.
        server_settings={"application_name": "renkei", "timezone": "Asia/Tokyo"},
    )


@contextmanager
def resolved_database_url(settings: Settings) -> Iterator[str]:
    """The external DATABASE_URL, or an embedded server under var/ for as long as the block runs."""
    if settings.database.url:
        yield settings.database.url
        return
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
