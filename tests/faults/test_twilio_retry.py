"""Twilio retrying a webhook after a timeout (it waits 15 s, then tries again with the same CallSid).

Whether the first request finished after Twilio stopped listening, or died half
way, the call is recorded once, matches once, and the retry hears the answer the
call deserves. The first request is held up by a row lock on the waiting check,
the way a slow database would hold it.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from ivr.checks import phone_check_status
from ivr.simulate import call_form, new_call_sid
from ivr.webhook import VOICE_PATH
from tests.ivr.conftest import TARO, open_check  # noqa: F401  (fixture)

TWILIO_PATIENCE = 15.0  # seconds Twilio waits for the answer


async def _webhook(server, to: str, call_sid: str, *, timeout: float) -> httpx.Response:  # type: ignore[no-untyped-def]
    settings = server.runtime.settings
    form = call_form(TARO, to, call_sid)
    signature = RequestValidator(settings.ivr.twilio_auth_token).compute_signature(settings.public_url + VOICE_PATH, form)
    async with httpx.AsyncClient(timeout=timeout) as http:
        return await http.post(server.url + VOICE_PATH, data=form, headers={SIGNATURE_HEADER: signature})


async def _holding_the_check(database_url: str, check_id: int) -> tuple[asyncpg.Connection, asyncpg.transaction.Transaction]:
    conn = await asyncpg.connect(database_url)
    transaction = conn.transaction()
    await transaction.start()
    await conn.execute("SELECT id FROM phone_check WHERE id = $1 FOR UPDATE", check_id)
    return conn, transaction


async def _recorded_once(db: asyncpg.Pool, call_sid: str) -> None:
    assert await db.fetchval("SELECT count(*) FROM ivr_call WHERE call_sid = $1", call_sid) == 1
    assert await db.fetchval("SELECT outcome FROM ivr_call WHERE call_sid = $1", call_sid) == "matched"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'ivr:call'") == 1


async def test_twilio_giving_up_and_retrying_while_the_first_request_still_runs_counts_the_call_once(
    server, db, database_url, clock, open_check  # noqa: F811
):
    waiting = await open_check([TARO])
    call_sid = new_call_sid()
    holder, held = await _holding_the_check(database_url, waiting.check.id)
    with pytest.raises(httpx.ReadTimeout):  # Twilio stops listening
        await _webhook(server, waiting.check.auth_number, call_sid, timeout=0.5)
    retry = asyncio.create_task(_webhook(server, waiting.check.auth_number, call_sid, timeout=TWILIO_PATIENCE))
    await asyncio.sleep(0.2)
    await held.commit()  # the database is quick again
    await holder.close()
    answer = await retry
    assert answer.status_code == 200 and "<Reject" in answer.text
    await _recorded_once(db, call_sid)
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


async def test_a_first_request_that_dies_half_way_leaves_nothing_and_twilios_retry_matches_the_call(
    server, db, database_url, clock, open_check  # noqa: F811
):
    waiting = await open_check([TARO])
    call_sid = new_call_sid()
    holder, held = await _holding_the_check(database_url, waiting.check.id)
    with pytest.raises(httpx.ReadTimeout):
        await _webhook(server, waiting.check.auth_number, call_sid, timeout=0.5)
    # The first request's database connection is cut while it waits inside its transaction.
    async with asyncio.timeout(10):
        while not (backend := await holder.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE phone_check%'")):
            await asyncio.sleep(0.05)
    assert await holder.fetchval("SELECT pg_terminate_backend($1)", backend)
    await held.commit()
    await holder.close()
    assert await db.fetchval("SELECT count(*) FROM ivr_call") == 0  # its CallSid was never recorded
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"
    answer = await _webhook(server, waiting.check.auth_number, call_sid, timeout=TWILIO_PATIENCE)
    assert answer.status_code == 200 and "<Reject" in answer.text
    await _recorded_once(db, call_sid)
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"
