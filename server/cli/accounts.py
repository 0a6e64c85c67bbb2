"""`renkei accounts move OLD NEW`: record a 移管 (account transfer, contract §6).

The old account is marked moved (screen ① then answers B89 with the new
branch), and every grant it gave apps is revoked, each with its NOTIFY so that
every running server stops accepting the tokens at once. One transaction, one
line in the operation log.
"""

from __future__ import annotations

import json

import asyncpg
import click

from server.cli.common import cli_settings, with_database
from server.clock import Clock, clock_for
from server.cli.operators import operator_id, operator_option
from server.db import accounts, oplog, tokens
from server.staff.scope import AccountKey, parse_account_key


@click.group(name="accounts")
def accounts_group() -> None:
    """Customers' accounts as the bank's branches change them."""


@accounts_group.command(name="move")
@click.argument("old")
@click.argument("new")
@operator_option
def move(old: str, new: str, operator: str | None) -> None:
    """Record that account OLD moved to NEW (both BRANCH-TYPE-NUMBER); revokes OLD's grants."""
    old_key, new_key = _account_key(old, "OLD"), _account_key(new, "NEW")
    if old_key == new_key:
        raise click.BadParameter("the new account must differ from the old one", param_hint="NEW")
    settings = cli_settings()
    clock = clock_for(settings.clock_file)
    who = operator_id(operator)

    async def work(pool: asyncpg.Pool) -> int:
        async with pool.acquire() as conn, conn.transaction():
            return await record_move(conn, old_key, new_key, staff_id=who, clock=clock)

    revoked = with_database(settings, work)
    click.echo(json.dumps({"moved": str(old_key), "to": str(new_key), "grants_revoked": revoked}))


def _account_key(text: str, name: str) -> AccountKey:
    key = parse_account_key(text)
    if key is None:
        raise click.BadParameter("write the account as BRANCH-TYPE-NUMBER, for example 001-1-1234567", param_hint=name)
    return key


async def record_move(conn: asyncpg.Connection, old_key: AccountKey, new_key: AccountKey, *, staff_id: str, clock: Clock) -> int:
    """Mark OLD moved and revoke its grants, in the caller's transaction; how many grants were revoked."""
    old = await accounts.find_account(conn, old_key.branch_code, old_key.account_type, old_key.account_number)
    new = await accounts.find_account(conn, new_key.branch_code, new_key.account_type, new_key.account_number)
    if old is None or new is None:
        raise click.ClickException(f"no account {old_key if old is None else new_key}")
    if old["status"] == "moved" and old["moved_to"] != str(new_key):
        raise click.ClickException(f"{old_key} already moved to {old['moved_to']}")
    now = clock.now()
    await accounts.mark_moved(conn, old["id"], str(new_key))
    grant_ids = await tokens.live_grants_of_account(conn, old["id"])
    for grant_id in grant_ids:
        await tokens.revoke_grant(conn, grant_id, now=now, reason="account_moved")
    await oplog.append(conn, oplog.Entry(
        at=now, event="staff:account:move", outcome="success", account_id=old["id"],
        account_masked=_masked(old_key), staff_id=staff_id,
        detail={"moved_to": _masked(new_key), "grants_revoked": len(grant_ids)},
    ))
    return len(grant_ids)


def _masked(key: AccountKey) -> str:
    return oplog.mask_account(key.branch_code, key.account_type, key.account_number)
