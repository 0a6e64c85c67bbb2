"""`renkei migrate` and `renkei migrate status`: which migrations the database holds, and which it still needs.

Status refuses (exit 1) a database holding a migration this version does not know
(a newer Renkei migrated it: running this older one on it could corrupt it) or one
whose text changed since it was applied.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import click

from server.cli import serve
from server.cli.common import cli_settings, with_database
from server.cli.operators import echo_json, json_option
from server.db.migrate import pending_files


@click.group(name="migrate", invoke_without_command=True)
@click.pass_context
def migrate_group(context: click.Context) -> None:
    """Apply the SQL migrations not applied yet; `renkei migrate status` says what is applied and pending."""
    if context.invoked_subcommand is None:
        context.invoke(serve.migrate_command)


async def applied_migrations(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, str]:
    """name -> checksum of every migration the database records (none before the first migration)."""
    if not await conn.fetchval("SELECT to_regclass('schema_migration') IS NOT NULL"):
        return {}
    return {row["name"]: row["checksum"] for row in await conn.fetch("SELECT name, checksum FROM schema_migration ORDER BY name")}


def compare(known: dict[str, str], applied: dict[str, str]) -> dict[str, list[str]]:
    """Pure: this version's migrations (name -> checksum) against the database's."""
    return {
        "applied": [name for name in known if name in applied],
        "pending": [name for name in known if name not in applied],
        "unknown": [name for name in applied if name not in known],
        "changed": [name for name in known if name in applied and applied[name] != known[name]],
    }


@migrate_group.command(name="status")
@json_option
def status(as_json: bool) -> None:
    """Applied and pending migrations; exit 1 when the database holds one this version does not know
    (or one changed since it was applied)."""
    known = {migration.name: migration.checksum for migration in pending_files()}
    applied = with_database(cli_settings(), applied_migrations, migrate_first=False)
    report: dict[str, Any] = compare(known, applied)
    if as_json:
        echo_json(report)
    else:
        for state in ("applied", "pending", "unknown", "changed"):
            click.echo(f"{state}: {', '.join(report[state]) or '-'}")
    if report["unknown"]:
        raise click.ClickException(f"the database holds migrations this version does not know: {', '.join(report['unknown'])}; "
                                   "run the Renkei version that applied them")
    if report["changed"]:
        raise click.ClickException(f"migrations changed after they were applied: {', '.join(report['changed'])}")
