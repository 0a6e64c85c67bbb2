"""`renkei serve` and `renkei migrate`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from server.cli.common import cli_settings, with_database
from server.db.migrate import migrate
from server.db.pool import pool_for, resolved_database_url
from server.logs import configure_logging, level_number
from server.metrics import shared_between_workers
from server.settings import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes sharing one database.")
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, then serve (all processes share one PostgreSQL).

    SIGTERM drains and exits 0 within [server] shutdown_grace_seconds (README: Lifecycle).
    """
    settings = cli_settings()
    configure_logging(json_lines=settings.production, level=level_number(settings.log_level))
    listening = _listen(host, port)  # first: a port in use stops us before anything starts or logs "ready"
    signal.signal(signal.SIGTERM, _stop_cleanly)

    # The embedded server (if any) belongs to this parent process and outlives
    # the workers; they reach it through DATABASE_URL.
    with listening, resolved_database_url(settings) as url:
        asyncio.run(_migrate(settings, settings.database.direct_url or url))  # its advisory lock needs a session
        os.environ["DATABASE_URL"] = url
        os.environ["WEB_CONCURRENCY"] = str(workers)  # each worker's argon2 pool takes its share of the cores
        config = _uvicorn_config(settings, host, port, workers)
        with shared_between_workers(workers), contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is a clean stop too
            if workers > 1:
                Multiprocess(config, sockets=[listening]).run()
            else:
                uvicorn.Server(config).run(sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that its failure is one line naming the option to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        reason = (error.strerror or str(error)).lower()
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}; choose another port with --port") from None
    sock.set_inheritable(True)  # the workers of --workers N listen on it too
    return sock


def _stop_cleanly(signum: int, frame: object) -> None:
    """SIGTERM outside uvicorn's own handling (during start, or re-raised once it has drained): exit 0.

    Raised as SystemExit, so the embedded PostgreSQL is stopped on the way out, as on Ctrl-C.
    """
    raise SystemExit(0)


def _uvicorn_config(settings: Settings, host: str, port: int, workers: int) -> uvicorn.Config:
    grace = settings.server
    # No uvicorn access log: Renkei writes its own line per request (server.request_context).
    return uvicorn.Config("server.asgi:app", host=host, port=port, workers=workers, proxy_headers=True, log_config=None,
                          access_log=False, server_header=False,
                          timeout_graceful_shutdown=grace.shutdown_grace_seconds - grace.drain_seconds)  # type: ignore[arg-type]


async def _migrate(settings: Settings, url: str) -> None:
    pool = await pool_for(settings.database, url, min_size=1, max_size=1)
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
