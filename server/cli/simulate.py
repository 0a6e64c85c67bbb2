"""`renkei simulate-call`: post a correctly signed Twilio webhook to the running server (development)."""

from __future__ import annotations

import asyncio

import click
import httpx

from ivr.simulate import simulate_call
from server.cli.common import cli_settings
from server.policy.phone_numbers import InvalidPhoneNumber, normalise


def _e164(value: str) -> str:
    """As given (E.164, or "Anonymous" as Twilio reports a withheld caller); a domestic
    number (090-…) is converted for convenience."""
    if not value[:1].isdigit():
        return value
    try:
        return normalise(value)
    except InvalidPhoneNumber as error:
        raise click.BadParameter(str(error)) from None


@click.command(name="simulate-call")
@click.option("--from", "from_", required=True, help="The caller's number (E.164, e.g. +819012345678).")
@click.option("--to", required=True, help="The auth number shown on screen ④ (E.164).")
@click.option("--call-sid", default=None, help="Reuse a CallSid to imitate Twilio retrying.")
def simulate_call_command(from_: str, to: str, call_sid: str | None) -> None:
    """Post a signed Voice webhook to RENKEI_PUBLIC_URL, as Twilio would for this call."""
    settings = cli_settings()
    if settings.production:
        raise click.ClickException("simulate-call is for development only; production refuses it")
    try:
        response = asyncio.run(
            simulate_call(settings.public_url, settings.ivr.twilio_auth_token, _e164(from_), _e164(to), call_sid)
        )
    except httpx.HTTPError as error:
        raise click.ClickException(f"could not reach {settings.public_url}: {type(error).__name__}") from None
    click.echo(response.text)
    if response.status_code != 200:
        raise click.ClickException(f"the server answered {response.status_code}")
