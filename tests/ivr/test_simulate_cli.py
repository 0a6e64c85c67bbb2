"""`renkei simulate-call` posts a correctly signed webhook to the running server (development only)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import click
import pytest

from ivr.checks import phone_check_status
from server.clock import FrozenClock
from server.settings import PROJECT_ROOT
from server.cli.simulate import VERDICTS, read_number, verdict
from server.flow.labels import dialling_form
from tests.conftest import _with_database
from tests.ivr.conftest import STRANGER, TARO, OpenCheck

RENKEI = str(Path(sys.executable).parent / "renkei")


async def _renkei(*args: str, **environ: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENKEI_", "TWILIO_"))} | environ
    process = await asyncio.create_subprocess_exec(
        RENKEI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(("caller", "shown_as"), [("090-1234-5678", "domestic"), ("09012345678", "domestic"),
                                                  ("+819012345678", "e164"), ("０９０－１２３４－５６７８", "e164")])
async def test_simulate_call_from_the_registered_number_matches_the_waiting_check_however_the_numbers_are_written(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, database_url: str, caller: str, shown_as: str,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    to = dialling_form(waiting.check.auth_number) if shown_as == "domestic" else waiting.check.auth_number
    code, out, _ = await _renkei("simulate-call", "--from", caller, "--to", to, RENKEI_PUBLIC_URL=server.url, DATABASE_URL=database_url)
    assert code == 0 and out.startswith("Matched: 090-1234-5678 is a registered number")
    assert dialling_form(waiting.check.auth_number) in out
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


NOT_MATCHED = [
    ("an unregistered caller", STRANGER, None, 0, "Not matched: 070-3333-4444 is not a registered number"),
    ("a withheld caller", "anonymous", None, 0, "Not matched: the caller's number was withheld"),
    ("after 120 s", TARO, None, 121, "Not matched: expired. The 120 seconds"),
    ("a number no screen shows", TARO, "050-0000-0009", 0, "Not matched: no screen ④ showed the auth number 050-0000-0009"),
]


@pytest.mark.parametrize(("case", "caller", "to", "seconds_later", "words"), NOT_MATCHED, ids=[c[0] for c in NOT_MATCHED])
async def test_simulate_call_says_in_words_why_a_call_did_not_match_and_exits_1(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, database_url: str,
    case: str, caller: str, to: str | None, seconds_later: int, words: str,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    clock.advance(seconds=seconds_later)
    code, out, _ = await _renkei("simulate-call", "--from", caller, "--to", to or dialling_form(waiting.check.auth_number),
                                 RENKEI_PUBLIC_URL=server.url, DATABASE_URL=database_url)
    assert code == 1 and out.startswith(words), out
    assert await phone_check_status(db, waiting.flow_id, clock.now()) != "matched"


@pytest.mark.parametrize(("outcome", "number_shown", "which"), [
    ("matched", True, "matched"), ("withheld", True, "withheld"), ("withheld", False, "withheld"),
    ("late", False, "expired"), ("unmatched", True, "unregistered"), ("unmatched", False, "no_such_number"),
])
def test_each_recorded_outcome_has_its_words(outcome, number_shown, which):
    assert verdict(outcome, number_shown) == which and which in VERDICTS


def test_a_number_that_is_no_phone_number_is_refused_before_anything_is_sent():
    with pytest.raises(click.BadParameter):
        read_number("12-34", "--from")
    assert read_number("050-0000-0001", "--to") == "+815000000001" and read_number("非通知", "--from") == "Anonymous"


async def test_simulate_call_says_so_when_the_server_refuses_it(server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck,
                                                                database_url: str) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    code, _, err = await _renkei(
        "simulate-call", "--from", TARO, "--to", waiting.check.auth_number,
        RENKEI_PUBLIC_URL=server.url, TWILIO_AUTH_TOKEN="not-the-servers-token", DATABASE_URL=database_url,
    )
    assert code != 0 and "403" in err
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"


async def test_simulate_call_is_refused_in_production(tmp_path: Path) -> None:
    code, _, err = await _renkei(
        "simulate-call", "--from", TARO, "--to", "+815000000001",
        RENKEI_ENV="production", RENKEI_PUBLIC_URL="https://renkei.example.jp",
        RENKEI_CONFIG_OVERRIDE=str(PROJECT_ROOT / "tests" / "config" / "production.toml"), RENKEI_PIN_PEPPER="p" * 32, RENKEI_SESSION_KEY="s" * 32, TWILIO_AUTH_TOKEN="t" * 32,
        RENKEI_SIGNING_KEYS_FILE=str(tmp_path / "keys.json"),
    )
    assert code != 0 and "development only" in err


async def test_simulate_call_says_so_when_it_cannot_read_the_servers_database(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, database_url: str,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    elsewhere = _with_database(database_url, "no_such_database")
    code, out, err = await _renkei("simulate-call", "--from", TARO, "--to", waiting.check.auth_number,
                                   RENKEI_PUBLIC_URL=server.url, DATABASE_URL=elsewhere)
    assert code == 1 and "no_such_database" in err and "Traceback" not in err
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"  # the call itself went through
