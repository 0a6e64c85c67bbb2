"""`renkei locks show B-T-N` and `renkei locks clear B-T-N --reason R`: an account's identity and PIN locks.

Both print the lock state as JSON in the shape of the staff API (contract §8).
Clearing writes who, when and why to the operation log, in the same
transaction as the clearing itself.
"""

from __future__ import annotations

import json
import re

import asyncpg
import click

from server.cli.common import cli_settings, with_database
from server.clock import clock_for
from server.cli.operators import operator_id, operator_option
from server.db import accounts, locks, oplog
from server.policy.locks import LockKind

ACCOUNT_KEY = re.compile(r"([0-9]{3})-([0-9])-([0-9]{7})")
MAX_REASON = 200


def parse_account_key(text: str) -> tuple[str, int, str]:
    match = ACCOUNT_KEY.fullmatch(text.strip())
    if not match:
        raise click.BadParameter("write the account as BRANCH-TYPE-NUMBER, for example 001-1-1234567", param_hint="ACCOUNT")
    return match[1], int(match[2]), match[3]


async def _account(conn: asyncpg.Connection, key: str) -> asyncpg.Record:
    found = await accounts.find_account(conn, *parse_account_key(key))
    if found is None:
        raise click.ClickException(f"no account {key}")
    return found


@click.group(name="locks")
def locks_group() -> None:
    """An account's identity lock (birth date) and PIN lock; both lift by themselves at 00:00 Tokyo."""


@locks_group.command(name="show")
@click.argument("account")
def show(account: str) -> None:
    """Print the lock state of ACCOUNT (BRANCH-TYPE-NUMBER) as JSON."""
    parse_account_key(account)
    settings = cli_settings()
    clock = clock_for(settings.clock_file)

    async def work(pool: asyncpg.Pool) -> dict:
        async with pool.acquire() as conn:
            found = await _account(conn, account)
            return await locks.lock_state(conn, found["id"], clock.now())

    click.echo(json.dumps(with_database(settings, work), ensure_ascii=False))


@locks_group.command(name="clear")
@click.argument("account")
@click.option("--reason", required=True, help="Why the lock is lifted before midnight (kept in the operation log).")
@click.option("--kind", type=click.Choice(["identity", "pin", "all"]), default="all", show_default=True)
@operator_option
def clear(account: str, reason: str, kind: str, operator: str | None) -> None:
    """Lift ACCOUNT's locks now and give the customer a fresh count; prints the new state."""
    parse_account_key(account)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON or not reason.isprintable():
        raise click.BadParameter(f"a reason of 1 to {MAX_REASON} printable characters", param_hint="--reason")
    kinds = list(LockKind) if kind == "all" else [LockKind(kind)]
    settings = cli_settings()
    clock = clock_for(settings.clock_file)
    who = operator_id(operator)

    async def work(pool: asyncpg.Pool) -> tuple[list[str], dict]:
        async with pool.acquire() as conn, conn.transaction():
            found = await _account(conn, account)
            now = clock.now()
            lifted = await locks.clear_locks(conn, found["id"], kinds, cleared_by=who, now=now)
            await oplog.append(conn, oplog.Entry(
                at=now, event="staff:lock:clear", outcome="success" if lifted else "info", account_id=found["id"],
                account_masked=oplog.mask_account(found["branch_code"], found["account_type"], found["account_number"]),
                staff_id=who, detail={"kinds": lifted, "asked": [k.value for k in kinds], "reason": reason},
            ))
            return lifted, await locks.lock_state(conn, found["id"], now)

    lifted, state = with_database(settings, work)
    click.echo(json.dumps(state, ensure_ascii=False))
    click.echo(f"lifted: {', '.join(lifted)}" if lifted else "no lock was in force", err=True)
