"""`renkei staff add`: create a branch clerk's or a head office account.

The password comes on stdin, never as an argument (arguments show in `ps` and
shell history). Existing accounts are changed in the staff console, not here.
"""

from __future__ import annotations

import re
import sys

import asyncpg
import click

from server.cli.common import cli_settings, with_database
from server.clock import clock_for
from server.db import oplog, staff
from server.hashing import hash_password
from server.runtime import argon2_params

STAFF_ID = re.compile(r"[A-Za-z0-9._-]{3,64}")
BRANCH_CODE = re.compile(r"[0-9]{3}")
MIN_PASSWORD = {"production": 12, "development": 8}


def password_problem(password: str, env: str) -> str | None:
    """Why a new staff password is refused, or None."""
    if not password.strip():
        return "the password is empty"
    if len(password) < MIN_PASSWORD[env]:
        return f"the password needs at least {MIN_PASSWORD[env]} characters in {env}"
    return None


def read_password() -> str:
    """One line from stdin, without its line ending (spaces are part of the password);
    typed at a terminal, it is not echoed."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


@click.group(name="staff")
def staff_group() -> None:
    """Staff accounts of the branches (営業店) and head office (本部事務部)."""


@staff_group.command(name="add")
@click.option("--id", "staff_id", required=True, help="Sign-in id: 3-64 of A-Z a-z 0-9 . _ -")
@click.option("--branch", required=True, help="The 3-digit code of the clerk's own office (head office too).")
@click.option("--role", type=click.Choice(["branch", "hq", "supervisor"]), required=True,
              help="branch: own branch only; hq: all; supervisor: own branch, and approves unlock requests (役席承認).")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin (required).")
def add(staff_id: str, branch: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; refused when the id exists (use the staff console)."""
    if not STAFF_ID.fullmatch(staff_id):
        raise click.BadParameter("3-64 characters of A-Z a-z 0-9 . _ -", param_hint="--id")
    if not BRANCH_CODE.fullmatch(branch):
        raise click.BadParameter("must be 3 digits 0-9", param_hint="--branch")
    settings = cli_settings()
    password = read_password()
    if problem := password_problem(password, settings.env):
        raise click.ClickException(problem)
    password_hash = hash_password(argon2_params(settings), password)
    now = clock_for(settings.clock_file).now()

    async def work(pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn, conn.transaction():
            if not await staff.insert_staff(conn, staff_id=staff_id, branch_code=branch, role=role,
                                            password_hash=password_hash, created_at=now):
                raise click.ClickException(f"staff {staff_id} exists already; change it in the staff console")
            detail = {"staff_id": staff_id, "branch_code": branch, "role": role}
            await oplog.append(conn, oplog.Entry(at=now, event="staff:add", outcome="success", detail=detail))

    with_database(settings, work)
    click.echo(f"staff {staff_id} added ({role}, branch {branch})")
