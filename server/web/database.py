"""A database connection for one request, or S02 when none comes in time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from server.runtime import Runtime


class Busy(Exception):
    """No connection within settings.database.acquire_timeout_seconds: the service is overloaded (S02)."""


@asynccontextmanager
async def connection(runtime: Runtime) -> AsyncIterator[asyncpg.Connection]:
    try:
        conn = await runtime.pool.acquire(timeout=runtime.settings.database.acquire_timeout_seconds)
    except (TimeoutError, asyncpg.exceptions.TooManyConnectionsError):
        raise Busy() from None
    try:
        yield conn
    finally:
        await runtime.pool.release(conn)
