"""`renkei config check`: read the configuration as the server would and print every problem at once."""

from __future__ import annotations

import click

from server.cli.operators import echo_json, json_option
from server.maintenance import calendar_rules_from_settings
from server.oauth.jwt_tokens import parse_key_file
from server.settings import ConfigError, Settings, read_settings


@click.group(name="config")
def config_group() -> None:
    """The configuration: config/renkei.toml (or RENKEI_CONFIG), RENKEI_CONFIG_OVERRIDE files, environment variables."""


@config_group.command(name="check")
@json_option
def check(as_json: bool) -> None:
    """Print every problem of the configuration, each with the file or environment variable its value
    came from; exit 1 if there is any, 0 when the server would start with it."""
    settings, problems = read_settings()
    if settings is not None:
        problems = [*problems, *_problems_at_start(settings)]
    if as_json:
        files = [str(settings.config_file), *map(str, settings.override_files)] if settings else []
        echo_json({"ok": not problems, "problems": problems, "files": files, "env": settings.env if settings else None})
    else:
        for problem in problems:
            click.echo(problem)
        if not problems and settings is not None:
            click.echo(f"configuration OK ({settings.env}): " + ", ".join(map(str, (settings.config_file, *settings.override_files))))
    if problems:
        raise SystemExit(1)


def _problems_at_start(settings: Settings) -> list[str]:
    """What the server checks as it starts, beyond the settings: the maintenance rules and the signing key file."""
    found = []
    for check in (lambda: calendar_rules_from_settings(settings), lambda: _signing_keys(settings)):
        try:
            check()
        except ConfigError as error:
            found.extend(error.problems)
    return found


def _signing_keys(settings: Settings) -> None:
    path = settings.secrets.signing_keys_file
    if path is not None:  # development generates its own
        parse_key_file(path)
