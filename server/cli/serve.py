"""`renkei serve` and `renkei migrate`."""

from __future__ import annotations

import asyncio
import os

import click
import uvicorn

from server.cli.common import cli_settings, with_database
from server.db.migrate import migrate
from server.db.pool import create_pool, resolved_database_url
from server.logs import configure_logging, level_number
from server.metrics import shared_between_workers


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes sharing one database.")
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, then serve (all processes share one PostgreSQL)."""
    settings = cli_settings()
    configure_logging(json_lines=settings.production, level=level_number(settings.log_level))

    # The embedded server (if any) belongs to this parent process and outlives
    # the workers; they reach it through DATABASE_URL.
    with resolved_database_url(settings) as url:
        asyncio.run(_migrate(settings.database.direct_url or url))  # its advisory lock needs a session
        os.environ["DATABASE_URL"] = url
        os.environ["WEB_CONCURRENCY"] = str(workers)  # each worker's argon2 pool takes its share of the cores
        with shared_between_workers(workers):
            # No uvicorn access log: Renkei writes its own line per request (server.request_context).
            uvicorn.run("server.asgi:app", host=host, port=port, workers=workers,
                        proxy_headers=True, log_config=None, access_log=False, server_header=False)


async def _migrate(url: str) -> None:
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
    finally:
        await pool.close()


@click.command(name="migrate")
def migrate_command() -> None:
    """Apply the SQL migrations under sql/ that are not applied yet."""
    settings = cli_settings()

    async def work(pool) -> list[str]:  # type: ignore[no-untyped-def]
        async with pool.acquire() as conn:
            return await migrate(conn)

    applied = with_database(settings, work, migrate_first=False)
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")
