"""`renkei simulate-call`: post a correctly signed Twilio webhook to the running server (development),
then say in words whether the call matched, and why not.

Numbers are taken as screen ④ and the demo table show them (050-0000-0001,
090-1234-5678, 09012345678) or in E.164; ``anonymous`` is a withheld caller.
The outcome is read from the call's own record (ivr_call), not from the TwiML,
so it stays right whatever the call is answered with. Exit code 0: matched; 1: not.
"""

from __future__ import annotations

import asyncio
import re
import sys

import asyncpg
import click
import httpx

from ivr.simulate import new_call_sid, simulate_call
from server.cli.common import cli_settings, with_database
from server.db import ivr_calls
from server.policy.phone_numbers import InvalidPhoneNumber, format_domestic, normalise

# What Twilio sends as From for a caller who withheld their number; what an operator may type for one.
WITHHELD_FROM = "Anonymous"
WITHHELD_WORDS = frozenset({"anonymous", "withheld", "restricted", "blocked", "unknown", "非通知"})
_FOREIGN_E164 = re.compile(r"\+(?!81)[1-9][0-9]{7,14}")

VERDICTS = {
    "matched": "Matched: {caller} is a registered number of the customer whose screen ④ shows {to}; that screen moves on.",
    "withheld": "Not matched: the caller's number was withheld (非通知). Call with caller ID, e.g. 186 before the number.",
    "expired": "Not matched: expired. The {seconds} seconds since {to} was shown had passed; the customer draws a new number.",
    "unregistered": "Not matched: {caller} is not a registered number of the customer whose screen shows {to}. "
                    "Call from a registered phone.",
    "no_such_number": "Not matched: no screen ④ showed the auth number {to} when the call rang.",
}


def read_number(value: str, option: str) -> str:
    """E.164 for a number typed any common way; Twilio's ``Anonymous`` for a withheld caller."""
    text = value.strip()
    if text.lower() in WITHHELD_WORDS:
        return WITHHELD_FROM
    if _FOREIGN_E164.fullmatch(text):
        return text
    try:
        return normalise(text)
    except InvalidPhoneNumber as error:
        raise click.BadParameter(str(error), param_hint=option) from None


def verdict(outcome: str, number_shown: bool) -> str:
    """Which of VERDICTS the recorded outcome of a call is."""
    if outcome == "unmatched":
        return "unregistered" if number_shown else "no_such_number"
    return {"matched": "matched", "withheld": "withheld", "late": "expired"}.get(outcome, "no_such_number")


def shown(number: str) -> str:
    """A number as a person reads it (090-1234-5678), or as it is."""
    try:
        return format_domestic(number)
    except InvalidPhoneNumber:
        return number


@click.command(name="simulate-call")
@click.option("--from", "from_", required=True, help="The caller: 090-1234-5678, 09012345678, +819012345678, or anonymous.")
@click.option("--to", required=True, help="The auth number shown on screen ④: 050-0000-0001 or +815000000001.")
@click.option("--call-sid", default=None, help="Reuse a CallSid to imitate Twilio retrying.")
def simulate_call_command(from_: str, to: str, call_sid: str | None) -> None:
    """Post a signed Voice webhook to RENKEI_PUBLIC_URL, as Twilio would for this call; say whether it matched."""
    settings = cli_settings()
    if settings.production:
        raise click.ClickException("simulate-call is for development only; production refuses it")
    caller, auth_number, call_sid = read_number(from_, "--from"), read_number(to, "--to"), call_sid or new_call_sid()
    try:
        response = asyncio.run(simulate_call(settings.public_url, settings.ivr.twilio_auth_token, caller, auth_number, call_sid))
    except httpx.HTTPError as error:
        raise click.ClickException(f"could not reach {settings.public_url}: {type(error).__name__}") from None
    if response.status_code != 200:
        raise click.ClickException(f"the server answered {response.status_code}")

    async def report(pool: asyncpg.Pool) -> asyncpg.Record | None:
        return await ivr_calls.call_report(pool, call_sid)

    try:
        row = with_database(settings, report, migrate_first=False)
    except (OSError, asyncpg.PostgresError) as error:
        row, why = None, type(error).__name__
    else:
        why = "no record of the call"
    if row is None:
        raise click.ClickException(f"the call was posted and the server answered, but its database ({why}) does not say "
                                   "whether it matched: DATABASE_URL must name the running server's database")
    which = verdict(row["outcome"], row["number_shown"])
    click.echo(VERDICTS[which].format(caller=shown(caller), to=shown(auth_number), seconds=settings.policy.phone_check_seconds))
    click.echo(f"Twilio was answered: {response.text}")
    sys.exit(0 if which == "matched" else 1)
