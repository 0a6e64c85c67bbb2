"""`renkei seed-demo`: the demo data of contract §9, idempotent, refused in production."""

from __future__ import annotations

import asyncpg
import click

from server import demo
from server.cli.common import cli_settings, with_database
from server.cli.customers import import_customers
from server.clock import clock_for
from server.customer_import import read_customers
from server.runtime import argon2_params


@click.command(name="seed-demo")
@click.option("--demo-app-url", default=demo.DEMO_APP_URL, show_default=True,
              help="Where the demo app runs (scripts/serve --demo-port): its redirect URI and jwks_uri.")
def seed_demo(demo_app_url: str) -> None:
    """Load the demo customers, app and staff (published secrets: development only).

    Running it again changes nothing; what is there already is left as it is.
    """
    settings = cli_settings()
    if settings.production:
        raise click.ClickException("seed-demo loads published demo secrets and is refused in production")
    now = clock_for(settings.clock_file).now()
    parsed = read_customers(demo.DEMO_CUSTOMERS.read_text(encoding="utf-8"), today=now.date())
    if parsed.problems:  # the shipped file is wrong: a bug, said plainly
        raise click.ClickException("; ".join(map(str, parsed.problems)))

    async def work(pool: asyncpg.Pool) -> list[str]:
        summary = await import_customers(pool, settings, parsed.customers, now)
        async with pool.acquire() as conn, conn.transaction():
            added = await demo.seed_clients(conn, now, demo_app_url.rstrip("/"))
            staff = await demo.seed_staff(conn, argon2_params(settings), now)
        return [
            f"demo customers: {summary}",
            f"demo clients: {', '.join(added) + ' added' if added else 'already there'}",
            f"demo staff: {', '.join(staff) + ' added' if staff else 'already there'}",
        ]

    for line in with_database(settings, work):
        click.echo(line)
