"""`renkei clients list | show | disable | enable | rotate-secret | end-previous-secret | remove`: an operator looking
after the registered clients.

What each does to tokens is decided as a bank would: disabling stops the client at
once (no new authorization, no token issued or refreshed, its live access tokens
revoked and so inactive at /introspect) but keeps the customers' grants, so enabling
resumes without anyone linking again; removing ends the client for good and revokes
every grant. A new secret leaves the replaced one working for an overlap (24 h unless
told), so the app maker can deploy it server by server. Every change is written to the
operation log with the operator's name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import click

from server.cli.clients import clients_group
from server.cli.common import cli_settings, with_database
from server.cli.operators import echo_json, echo_table, json_option, log_operation, operator_option
from server.clock import clock_for, tokyo_iso
from server.db import client_admin, tokens
from server.hashing import new_token, token_digest
from server.policy.client_secrets import DEFAULT_OVERLAP, in_force, overlap, previous_secret_end
from server.settings import Settings

LISTED = ("client_id", "kind", "profile", "state", "live_grants", "name")


def _state(client: asyncpg.Record) -> str:
    return "removed" if client["removed_at"] else "disabled" if client["disabled_at"] else "enabled"


def tokyo_time(when: datetime | None) -> str | None:
    return tokyo_iso(when) if when is not None else None


def described(client: asyncpg.Record, now: datetime) -> dict[str, Any]:
    """The client for an operator: its state, and until when a previous secret works (null: none does)."""
    shown = {**dict(client), "state": _state(client)}
    ends_at = shown.pop("previous_secret_ends_at")
    return {**shown, "previous_secret_until": tokyo_time(ends_at) if in_force(ends_at, now) else None}


def _now(settings: Settings) -> datetime:
    return clock_for(settings.clock_file).now()


def _change(settings: Settings, client_id: str, change: Any) -> dict[str, Any]:
    """Run ``change(conn, client, now)`` on the locked client in one transaction; exit 1 when there is no such client."""
    now = _now(settings)

    async def work(pool: asyncpg.Pool) -> dict[str, Any]:
        async with pool.acquire() as conn, conn.transaction():
            client = await client_admin.client_for_update(conn, client_id)
            if client is None:
                raise click.ClickException(f"no client {client_id}")
            return await change(conn, client, now)

    return with_database(settings, work)


def _refuse_removed(client: asyncpg.Record) -> None:
    if client["removed_at"]:
        raise click.ClickException(f"{client['client_id']} was removed on {client['removed_at']:%Y-%m-%d}; register it again")


@clients_group.command(name="list")
@click.option("--all", "removed_too", is_flag=True, help="Include removed clients.")
@json_option
def list_command(removed_too: bool, as_json: bool) -> None:
    """The registered clients, oldest first, with their state (enabled, disabled, removed) and live grants."""
    settings = cli_settings()
    rows = with_database(settings, lambda pool: client_admin.list_clients(pool, removed_too=removed_too))
    now = _now(settings)
    clients = [described(row, now) for row in rows]
    echo_json(clients) if as_json else echo_table(clients, LISTED)


@clients_group.command(name="show")
@click.argument("client_id")
def show(client_id: str) -> None:
    """One client as JSON (never its secret; previous_secret_until: until when the replaced secret still
    works, null when none does); exit 1 when there is none."""
    settings = cli_settings()
    client = with_database(settings, lambda pool: client_admin.shown_client(pool, client_id))
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    echo_json(described(client, _now(settings)))


@clients_group.command(name="disable")
@click.argument("client_id")
@click.option("--reason", default="", help="Why, for the operation log.")
@operator_option
def disable(client_id: str, reason: str, operator: str | None) -> None:
    """Stop CLIENT_ID at once: /par, /authorize, /token and /introspect refuse it, and its live
    access tokens are revoked. Its customers' grants stay: `enable` resumes them."""

    async def change(conn: asyncpg.Connection, client: asyncpg.Record, now: Any) -> dict[str, Any]:
        _refuse_removed(client)
        revoked = await client_admin.revoke_live_access_tokens(conn, client_id, now)
        if not client["disabled_at"]:
            await client_admin.set_disabled(conn, client_id, now)
        await log_operation(conn, at=now, event="client:disable", operator=operator, client_id=client_id,
                            detail={"reason": reason, "access_tokens_revoked": revoked})
        return {"client_id": client_id, "state": "disabled", "access_tokens_revoked": revoked}

    echo_json(_change(cli_settings(), client_id, change))


@clients_group.command(name="enable")
@click.argument("client_id")
@operator_option
def enable(client_id: str, operator: str | None) -> None:
    """Let a disabled CLIENT_ID work again (a removed one never does; nor a sandbox app in production
    unless [clients] sandbox_in_production allows it)."""
    settings = cli_settings()

    async def change(conn: asyncpg.Connection, client: asyncpg.Record, now: Any) -> dict[str, Any]:
        _refuse_removed(client)
        if client["kind"] == "app" and client["profile"] == "sandbox" and not settings.sandbox_apps_allowed:
            raise click.ClickException(f"{client_id} is a sandbox app; production serves none ([clients] sandbox_in_production)")
        if client["disabled_at"]:
            await client_admin.set_disabled(conn, client_id, None)
        await log_operation(conn, at=now, event="client:enable", operator=operator, client_id=client_id)
        return {"client_id": client_id, "state": "enabled"}

    echo_json(_change(settings, client_id, change))


def _overlap(ctx: click.Context, param: click.Parameter, value: str) -> timedelta:
    try:
        return overlap(value)
    except ValueError as wrong:
        raise click.BadParameter(str(wrong)) from None


def _refuse_keys_only(client: asyncpg.Record) -> None:
    if client["auth_method"] == "private_key_jwt":
        raise click.ClickException(f"{client['client_id']} signs with its keys (private_key_jwt) and has no secret")


@clients_group.command(name="rotate-secret")
@click.argument("client_id")
@click.option("--keep-previous-for", "keep_for", metavar="DURATION", default=DEFAULT_OVERLAP, show_default=True,
              callback=_overlap,
              help="How long the replaced secret keeps working (0, 30m, 24h, 7d; at most 30d): a working day lets the "
                   "app maker deploy the new one to every server without an outage. A leaked secret: 0, it stops at once.")
@operator_option
def rotate_secret(client_id: str, keep_for: timedelta, operator: str | None) -> None:
    """Give CLIENT_ID a new client secret, printed once as {"client_id", "client_secret", "previous_secret_until"}.

    The replaced secret works until previous_secret_until (Asia/Tokyo; null: it stopped at once). Only
    one previous secret at a time: rotating again during an overlap drops the older one. Clients that
    sign with keys (private_key_jwt) have no secret: exit 1."""

    async def change(conn: asyncpg.Connection, client: asyncpg.Record, now: datetime) -> dict[str, Any]:
        _refuse_removed(client)
        _refuse_keys_only(client)
        secret = new_token(32)
        ends_at = await client_admin.replace_secret(conn, client_id, token_digest(secret), previous_secret_end(now, keep_for))
        await log_operation(conn, at=now, event="client:rotate-secret", operator=operator, client_id=client_id,
                            detail={"previous_secret_until": tokyo_time(ends_at)})
        return {"client_id": client_id, "client_secret": secret, "previous_secret_until": tokyo_time(ends_at)}

    echo_json(_change(cli_settings(), client_id, change))


@clients_group.command(name="end-previous-secret")
@click.argument("client_id")
@operator_option
def end_previous_secret(client_id: str, operator: str | None) -> None:
    """Stop CLIENT_ID's previous secret now, before its end time (the app has moved over, or the secret
    leaked); the current one keeps working. Prints {"client_id", "previous_secret_ended"}: false when
    none was in force."""

    async def change(conn: asyncpg.Connection, client: asyncpg.Record, now: datetime) -> dict[str, Any]:
        _refuse_removed(client)
        was_in_force = in_force(client["previous_secret_ends_at"], now)
        await client_admin.end_previous_secret(conn, client_id)
        await log_operation(conn, at=now, event="client:end-previous-secret", operator=operator, client_id=client_id,
                            detail={"was_in_force": was_in_force})
        return {"client_id": client_id, "previous_secret_ended": was_in_force}

    echo_json(_change(cli_settings(), client_id, change))


@clients_group.command(name="remove")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Confirm: every grant of the client is revoked, for good.")
@operator_option
def remove(client_id: str, yes: bool, operator: str | None) -> None:
    """End CLIENT_ID for good: revoke every grant (and so every token) its customers gave it, and
    disable it. Its record stays for the operation log; `list --all` shows it."""
    if not yes:
        raise click.UsageError("removing revokes every grant of the client; say --yes")

    async def change(conn: asyncpg.Connection, client: asyncpg.Record, now: Any) -> dict[str, Any]:
        _refuse_removed(client)
        grants = await client_admin.live_grant_ids(conn, client_id)
        for grant_id in grants:
            await tokens.revoke_grant(conn, grant_id, now=now, reason="client_removed")
        await client_admin.mark_removed(conn, client_id, now)
        await log_operation(conn, at=now, event="client:remove", operator=operator, client_id=client_id,
                            detail={"grants_revoked": len(grants)})
        return {"client_id": client_id, "state": "removed", "grants_revoked": len(grants)}

    echo_json(_change(cli_settings(), client_id, change))
