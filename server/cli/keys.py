"""`renkei keys rotate` and `renkei keys retire KID`: rolling the keys that sign access tokens.

Rotate puts a new key first: it signs from now on (running servers notice the
changed file within seconds), while the old keys stay published at /jwks so
tokens they signed keep verifying. Retire an old key once its last token has
expired (policy.access_token_seconds after the rotation).
"""

from __future__ import annotations

import json

import click
from joserfc.jwk import KeySet

from server.cli.common import cli_settings
from server.oauth.jwt_tokens import key_file_lock, key_file_path, new_private_key, parse_key_file, write_key_file
from server.settings import ConfigError


@click.group(name="keys")
def keys_group() -> None:
    """The keys signing access tokens: the first signs, all are published at /jwks."""


@keys_group.command(name="rotate")
def rotate() -> None:
    """Add a new signing key in front of the others; prints the key ids."""
    settings = cli_settings()
    path = key_file_path(settings)
    with key_file_lock(path):
        keys = _read(path)
        new = new_private_key()
        write_key_file(path, KeySet([new, *keys.keys]))
    _show(KeySet([new, *keys.keys]))
    click.echo(f"retire the old key after {settings.policy.access_token_seconds} s: renkei keys retire KID", err=True)


@keys_group.command(name="retire")
@click.argument("kid")
def retire(kid: str) -> None:
    """Stop publishing key KID (never the signing key)."""
    path = key_file_path(cli_settings())
    with key_file_lock(path):
        keys = _read(path)
        kids = [key.kid for key in keys.keys]
        if kid not in kids:
            raise click.ClickException(f"no key {kid}; the keys are {', '.join(map(str, kids))}")
        if kid == kids[0]:
            raise click.ClickException(f"{kid} signs access tokens; rotate first, then retire it")
        kept = KeySet([key for key in keys.keys if key.kid != kid])
        write_key_file(path, kept)
    _show(kept)


def _read(path) -> KeySet:  # type: ignore[no-untyped-def]
    try:
        return parse_key_file(path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _show(keys: KeySet) -> None:
    kids = [key.kid for key in keys.keys]
    click.echo(json.dumps({"signing": kids[0], "published": kids}))
