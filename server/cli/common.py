"""What every command needs: settings, logging, and a migrated database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import click

from server.db.migrate import migrate
from server.db.pool import database_url, pool_for
from server.logs import configure_logging
from server.maintenance import calendar_rules_from_settings
from server.settings import ConfigError, Settings, load_settings

T = TypeVar("T")


def cli_settings() -> Settings:
    try:
        settings = load_settings()
        calendar_rules_from_settings(settings)  # a bad [[maintenance.*]] table stops us here, named
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    configure_logging(json_lines=settings.production, level=logging.WARNING)
    return settings


def with_database(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[T]], *, migrate_first: bool = True) -> T:
    """Run ``work`` with a pool on a migrated database (embedded when DATABASE_URL is unset)."""

    async def run() -> T:
        async with database_url(settings) as url:
            # Straight to PostgreSQL when a pooler stands between: migrations hold a session advisory lock.
            pool = await pool_for(settings.database, settings.database.direct_url or url, min_size=1, max_size=4)
            try:
                if migrate_first:
                    async with pool.acquire() as conn:
                        await migrate(conn)
                return await work(pool)
            finally:
                await pool.close()

    return asyncio.run(run())
