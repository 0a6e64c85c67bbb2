"""What every operator command shares: who runs it (for the operation log), and answers a script can read.

Exit codes: 0 done, 1 failed (not found, refused; click.ClickException), 2 a usage error
(click.UsageError, a bad option).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import click

from server.db import oplog

F = TypeVar("F", bound=Callable[..., Any])


def operator_option(command: F) -> F:
    """``--operator NAME``: the person named in the operation log (default: the OS user running the command)."""
    return click.option("--operator", "operator", metavar="NAME", default=None,
                        help="Who does this, for the operation log (default: the OS user).")(command)


def operator_id(name: str | None) -> str:
    """The operation log's staff_id for an operator at the command line, as `locks clear` writes it."""
    return f"cli:{name or getpass.getuser()}"


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (one document) for scripts.")(command)


def echo_json(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, default=str))


def echo_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Rows as aligned columns for people; scripts ask for --json."""
    cells = [[str(row[c]) if row[c] is not None else "-" for c in columns] for row in rows]
    widths = [max([len(c), *(len(line[i]) for line in cells)]) for i, c in enumerate(columns)]
    for line in [list(columns), *cells]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


async def log_operation(conn: asyncpg.Connection, *, at: datetime, event: str, operator: str | None,
                        client_id: str | None = None, detail: dict[str, Any] | None = None) -> None:
    await oplog.append(conn, oplog.Entry(at=at, event=event, outcome="success", client_id=client_id,
                                         staff_id=operator_id(operator), detail=detail or {}))
