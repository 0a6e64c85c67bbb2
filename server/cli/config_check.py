"""`renkei config check`: read the configuration as the server would and print every problem at once."""

from __future__ import annotations

import click

from server.cli.operators import echo_json, json_option
from server.maintenance import calendar_rules_from_settings
from server.settings import ConfigError, read_settings


@click.group(name="config")
def config_group() -> None:
    """The configuration: config/renkei.toml (or RENKEI_CONFIG), RENKEI_CONFIG_OVERRIDE files, environment variables."""


@config_group.command(name="check")
@json_option
def check(as_json: bool) -> None:
    """Print every problem of the configuration, each with the file or environment variable its value
    came from; exit 1 if there is any, 0 when the server would start with it."""
    settings, problems = read_settings()
    if settings is not None and not problems:
        try:
            calendar_rules_from_settings(settings)
        except ConfigError as error:
            problems = error.problems
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
