"""`renkei oplog export`: the operation log of some days as CSV for the auditors (UTF-8 with a BOM)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import click

from server import oplog_export
from server.cli.common import cli_settings, with_database
from server.cli.operators import operator_id, operator_option
from server.clock import clock_for
from server.policy.locks import tokyo_day
from server.policy.log_filters import BadFilter, read_filters


@click.group(name="oplog")
def oplog_group() -> None:
    """The operation log (the audit trail)."""


@oplog_group.command(name="export")
@click.option("--from", "from_day", required=True, help="First day, YYYY-MM-DD (Asia/Tokyo).")
@click.option("--to", "to_day", required=True, help="Last day, YYYY-MM-DD (Asia/Tokyo), included.")
@click.option("--branch", default=None, help="Only the lines of this branch's accounts (3 digits).")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@operator_option
def export(from_day: str, to_day: str, branch: str | None, file: Path, operator: str | None) -> None:
    """Write the lines of --from … --to to FILE (CSV, streamed: any range in little memory).

    The export is itself recorded in the operation log, naming the operator
    (the operating system user, or --operator) as every command does, and the filters.
    """
    settings = cli_settings()
    clock = clock_for(settings.clock_file)
    try:
        filters = read_filters({"from": from_day, "to": to_day, "branch": branch or ""}, tokyo_day(clock.now()), None)
    except BadFilter as bad:
        raise click.BadParameter(str(bad)) from None
    audit = oplog_export.audit_entry(filters, clock.now(), staff_id=operator_id(operator), file=file.name)

    async def work(pool: asyncpg.Pool) -> int:
        written = 0
        with file.open("wb") as out:
            async for chunk in oplog_export.csv_chunks(pool, filters, audit):
                out.write(chunk)
                written += chunk.count(b"\r\n")
        return written - 1  # the header

    lines = with_database(settings, work)
    click.echo(f"{lines} lines written to {file}")

