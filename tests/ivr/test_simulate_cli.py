"""`renkei simulate-call` posts a correctly signed webhook to the running server (development only)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg

from ivr.checks import phone_check_status
from server.clock import FrozenClock
from server.settings import PROJECT_ROOT
from tests.ivr.conftest import TARO, OpenCheck

RENKEI = str(Path(sys.executable).parent / "renkei")


async def _renkei(*args: str, **environ: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENKEI_", "TWILIO_"))} | environ
    process = await asyncio.create_subprocess_exec(
        RENKEI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_simulate_call_from_the_registered_number_matches_the_waiting_check(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    code, out, _ = await _renkei(
        "simulate-call", "--from", "090-1234-5678", "--to", waiting.check.auth_number, RENKEI_PUBLIC_URL=server.url
    )
    assert code == 0 and '<Reject reason="rejected" />' in out
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


async def test_simulate_call_says_so_when_the_server_refuses_it(server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    code, _, err = await _renkei(
        "simulate-call", "--from", TARO, "--to", waiting.check.auth_number,
        RENKEI_PUBLIC_URL=server.url, TWILIO_AUTH_TOKEN="not-the-servers-token",
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
