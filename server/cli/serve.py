"""`renkei serve` and `renkei migrate`."""

from __future__ import annotations

import asyncio
import logging
import os

import click
import uvicorn

from server.cli.common import cli_settings, with_database
from server.db.migrate import migrate
from server.db.pool import create_pool, database_url
from server.logs import configure_logging
from server.metrics import shared_between_workers


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes sharing one database.")
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, then serve (all processes share one PostgreSQL)."""
    settings = cli_settings()
    configure_logging(json_lines=settings.production, level=logging.INFO)

    async def prepare(url: str) -> None:
        pool = await create_pool(url, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        finally:
            await pool.close()

    async def run() -> None:
        # The embedded server (if any) is owned by this parent process and
        # outlives the workers; they reach it through DATABASE_URL.
        async with database_url(settings) as url:
            await prepare(url)
            os.environ["DATABASE_URL"] = url
            config = uvicorn.Config("server.asgi:app", host=host, port=port, workers=workers,
                                    proxy_headers=True, log_config=None, server_header=False)
            if workers == 1:
                await uvicorn.Server(config).serve()
            else:
                # uvicorn's multiprocess supervisor is synchronous.
                with shared_between_workers(workers):
                    await asyncio.to_thread(_supervise, config)

    asyncio.run(run())


def _supervise(config: uvicorn.Config) -> None:
    from uvicorn.supervisors import Multiprocess

    server = uvicorn.Server(config)
    sock = config.bind_socket()
    Multiprocess(config, target=server.run, sockets=[sock]).run()


@click.command(name="migrate")
def migrate_command() -> None:
    """Apply the SQL migrations under sql/ that are not applied yet."""
    settings = cli_settings()

    async def work(pool) -> list[str]:  # type: ignore[no-untyped-def]
        async with pool.acquire() as conn:
            return await migrate(conn)

    applied = with_database(settings, work, migrate_first=False)
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")
