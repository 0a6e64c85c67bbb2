"""`renkei keys init | list | rotate | retire KID`: the keys that sign access tokens.

Init creates the first key set (in production, at secrets.signing_keys_file).
Rotate puts a new key first: it signs from now on (running servers notice the
changed file within seconds), while the old keys stay published at /jwks so
tokens they signed keep verifying. Retire an old key once its last token has
expired (policy.access_token_seconds after the rotation).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import click
from joserfc.jwk import KeySet

from server.cli.common import cli_settings, with_database
from server.cli.operators import echo_json, echo_table, json_option, log_operation, operator_option
from server.clock import TOKYO, clock_for
from server.oauth.jwt_tokens import (CREATED, DEVELOPMENT_KEYS_FILE, SIGNING_ALG, key_file_lock, key_file_path,
                                     new_private_key, parse_key_file, write_key_file)
from server.settings import ConfigError, Settings


@click.group(name="keys")
def keys_group() -> None:
    """The keys signing access tokens: the first signs, all are published at /jwks."""


def _now(settings: Settings) -> datetime:
    return clock_for(settings.clock_file).now()


def _log(settings: Settings, event: str, operator: str | None, detail: dict[str, Any]) -> None:
    async def work(pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            await log_operation(conn, at=_now(settings), event=event, operator=operator, detail=detail)

    with_database(settings, work)


@keys_group.command(name="init")
@operator_option
def init(operator: str | None) -> None:
    """Create the first signing key (production: at secrets.signing_keys_file, readable by its owner only);
    prints the key ids. Exit 1 when the file exists already: rotate instead."""
    settings = cli_settings()
    path = settings.secrets.signing_keys_file or settings.var_dir / DEVELOPMENT_KEYS_FILE
    with key_file_lock(path):
        if path.exists():
            raise click.ClickException(f"{path} exists already; add a key with: renkei keys rotate")
        keys = KeySet([new_private_key(_now(settings))])
        write_key_file(path, keys)
    _log(settings, "keys:init", operator, {"signing": keys.keys[0].kid, "file": str(path)})
    _show(keys)


@keys_group.command(name="list")
@json_option
def list_command(as_json: bool) -> None:
    """Each key: kid, algorithm, when it was made, and whether it signs (the first) or is published only."""
    keys = _read(key_file_path(cli_settings()))
    rows = [{"kid": key.kid, "alg": key.get("alg", SIGNING_ALG), "created": _created(key.get(CREATED)),
             "use": "signing" if position == 0 else "published"} for position, key in enumerate(keys.keys)]
    echo_json(rows) if as_json else echo_table(rows, ("kid", "alg", "created", "use"))


def _created(stamp: Any) -> str | None:
    """Keys made before keys carried the time have none."""
    return datetime.fromtimestamp(stamp, TOKYO).isoformat() if isinstance(stamp, int) else None


@keys_group.command(name="rotate")
@operator_option
def rotate(operator: str | None) -> None:
    """Add a new signing key in front of the others; prints the key ids."""
    settings = cli_settings()
    path = key_file_path(settings)
    with key_file_lock(path):
        keys = _read(path)
        new = new_private_key(_now(settings))
        write_key_file(path, KeySet([new, *keys.keys]))
    _log(settings, "keys:rotate", operator, {"signing": new.kid})
    _show(KeySet([new, *keys.keys]))
    click.echo(f"retire the old key after {settings.policy.access_token_seconds} s: renkei keys retire KID", err=True)


@keys_group.command(name="retire")
@click.argument("kid")
@operator_option
def retire(kid: str, operator: str | None) -> None:
    """Stop publishing key KID (never the signing key)."""
    settings = cli_settings()
    path = key_file_path(settings)
    with key_file_lock(path):
        keys = _read(path)
        kids = [key.kid for key in keys.keys]
        if kid not in kids:
            raise click.ClickException(f"no key {kid}; the keys are {', '.join(map(str, kids))}")
        if kid == kids[0]:
            raise click.ClickException(f"{kid} signs access tokens; rotate first, then retire it")
        kept = KeySet([key for key in keys.keys if key.kid != kid])
        write_key_file(path, kept)
    _log(settings, "keys:retire", operator, {"retired": kid})
    _show(kept)


def _read(path: Path) -> KeySet:
    try:
        return parse_key_file(path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _show(keys: KeySet) -> None:
    kids = [key.kid for key in keys.keys]
    echo_json({"signing": kids[0], "published": kids})
