"""`renkei retention run [--dry-run]`: one retention round now, as the servers' housekeeping does
every few minutes (server.retention); prints, per table, the rows deleted or, with
--dry-run, those that would be (and changes nothing).
"""

from __future__ import annotations

import asyncpg
import click

from server.cli.common import cli_settings, with_database
from server.clock import clock_for
from server.db.retention import LOCK_KEY
from server.policy.retention import Table
from server.retention import Counts, run_round


@click.group(name="retention")
def retention_group() -> None:
    """Deleting rows nobody reads any more ([retention] in the configuration; never the operation log)."""


@retention_group.command(name="run")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def run(dry_run: bool) -> None:
    """Run one round now; prints rows per table."""
    settings = cli_settings()
    clock = clock_for(settings.clock_file)

    async def work(pool: asyncpg.Pool) -> Counts | None:
        async with pool.acquire() as conn:
            return await run_round(conn, settings, clock.now(), dry_run=dry_run)

    counts = with_database(settings, work)
    if counts is None:
        raise click.ClickException(f"another process is running a round (advisory lock {LOCK_KEY}); try again shortly")
    for table, rows in counts.items():
        click.echo(f"{table.value:<20} {rows:>10} {_verb(table, dry_run)}")


def _verb(table: Table, dry_run: bool) -> str:
    verb = "voided" if table is Table.PHONE_CHECK else "deleted"
    return f"would be {verb}" if dry_run else verb
