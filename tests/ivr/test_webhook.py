"""The Voice webhook over real HTTP: which calls count, that every caller is rejected unanswered, what is recorded."""

from __future__ import annotations

import asyncio
import json
import re

import asyncpg
import httpx
import pytest
from twilio.request_validator import RequestValidator

from ivr import twiml
from ivr.checks import phone_check_status
from ivr.simulate import new_call_sid
from server.clock import FrozenClock
from server.settings import DEFAULT_CONFIG
from tests.conftest import build_test_settings
from tests.ivr.conftest import HANAKO_LANDLINE, HANAKO_MOBILE, STRANGER, TARO, OpenCheck, Ring

OTHER_POOL_NUMBER = "+815000000009"


async def calls_counted(server, outcome: str) -> float:  # type: ignore[no-untyped-def]
    """renkei_ivr_calls_total{outcome=...} as /metrics shows it."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        text = (await client.get("/metrics")).text
    found = re.search(rf'^renkei_ivr_calls_total{{outcome="{outcome}"}} (\S+)$', text, re.MULTILINE)
    return float(found[1]) if found else 0.0


def rejected_unanswered(response) -> bool:  # type: ignore[no-untyped-def]
    """True when the TwiML answer is <Reject> and nothing is spoken: the call costs the caller nothing."""
    return (response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
            and '<Reject reason="rejected" />' in response.text and "<Say" not in response.text)


async def test_a_call_from_the_registered_number_to_the_shown_number_is_matched_and_rejected_unanswered(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    response = await ring(server, TARO, waiting.check.auth_number)
    assert response.status_code == 200
    assert '<Reject reason="rejected" />' in response.text and "<Say" not in response.text
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


async def test_a_call_from_a_number_not_registered_satisfies_nothing(server, db, clock, open_check: OpenCheck, ring: Ring) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    response = await ring(server, STRANGER, waiting.check.auth_number)
    assert rejected_unanswered(response)
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"
    assert await db.fetchval("SELECT refused_call FROM phone_check") == "unregistered"  # the screen says so


async def test_a_call_to_a_number_other_than_the_one_shown_satisfies_nothing(server, db, clock, open_check: OpenCheck, ring: Ring) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    other = next(n for n in server.runtime.settings.ivr.auth_numbers if n != waiting.check.auth_number)
    assert rejected_unanswered(await ring(server, TARO, other))
    assert rejected_unanswered(await ring(server, TARO, OTHER_POOL_NUMBER))
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"


async def test_a_call_at_119_seconds_still_counts(server, db, clock: FrozenClock, open_check: OpenCheck, ring: Ring) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    clock.advance(seconds=119)
    assert '<Reject reason="rejected" />' in (await ring(server, TARO, waiting.check.auth_number)).text
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


async def test_a_call_at_121_seconds_is_late_and_rejected_unanswered(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    clock.advance(seconds=121)
    response = await ring(server, TARO, waiting.check.auth_number)
    assert rejected_unanswered(response)
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "expired"
    logged = await db.fetchrow("SELECT outcome, reason_code FROM operation_log WHERE event = 'ivr:call'")
    assert dict(logged) == {"outcome": "failure", "reason_code": "B85"}


@pytest.mark.parametrize("withheld", ["Anonymous", "+266696687", "", None], ids=["anonymous", "keypad-anonymous", "empty", "absent"])
async def test_a_withheld_caller_is_rejected_unanswered_and_the_screen_is_told_to_ask_for_186(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring, withheld: str | None,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    if withheld is None:  # no From field at all: post the form without it
        response = await _post_without_from(server, waiting.check.auth_number)
    else:
        response = await ring(server, withheld, waiting.check.auth_number)
    assert rejected_unanswered(response)
    assert await db.fetchval("SELECT refused_call FROM phone_check") == "withheld"
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"
    assert await db.fetchval("SELECT outcome FROM ivr_call") == "withheld"


async def _post_without_from(server, to: str):  # type: ignore[no-untyped-def]

    url = server.runtime.settings.public_url + "/ivr/voice"
    form = {"CallSid": new_call_sid(), "To": to}
    signature = RequestValidator(server.runtime.settings.ivr.twilio_auth_token).compute_signature(url, form)
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=form, headers={"X-Twilio-Signature": signature})


async def test_twilio_retrying_the_same_call_changes_nothing_and_hears_the_same_answer(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    first_customer = await open_check([TARO])
    call_sid = new_call_sid()
    counted_before = await calls_counted(server, "matched")
    first = await ring(server, TARO, first_customer.check.auth_number, call_sid)
    # A second customer now waits on the same number from the same phone: a real new call would match them.
    second_customer = await open_check([TARO])
    retried = await ring(server, TARO, second_customer.check.auth_number, call_sid)
    assert retried.text == first.text and '<Reject reason="rejected" />' in first.text
    assert await phone_check_status(db, second_customer.flow_id, clock.now()) == "waiting"
    assert await db.fetchval("SELECT count(*) FROM ivr_call") == 1
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'ivr:call'") == 1
    assert await calls_counted(server, "matched") == counted_before + 1


async def test_a_retry_arriving_while_the_first_request_is_in_flight_still_counts_once(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    call_sid = new_call_sid()
    answers = await asyncio.gather(*(ring(server, TARO, waiting.check.auth_number, call_sid) for _ in range(10)))
    assert {a.text for a in answers} == {answers[0].text} and "<Reject" in answers[0].text
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'ivr:call'") == 1


async def test_two_customers_shown_the_same_number_are_each_matched_by_their_own_call(
    start_server, database_url: str, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    one_number = build_test_settings(database_url, RENKEI_AUTH_NUMBERS="+815000000001")
    server = await start_server(one_number)
    taro = await open_check([TARO], with_settings=one_number)
    hanako = await open_check([HANAKO_LANDLINE, HANAKO_MOBILE], with_settings=one_number)
    assert taro.check.auth_number == hanako.check.auth_number == "+815000000001"

    await ring(server, HANAKO_MOBILE, "+815000000001")
    assert await phone_check_status(db, hanako.flow_id, clock.now()) == "matched"
    assert await phone_check_status(db, taro.flow_id, clock.now()) == "waiting"
    await ring(server, TARO, "+815000000001")
    assert await phone_check_status(db, taro.flow_id, clock.now()) == "matched"


async def test_a_customer_with_two_flows_is_matched_only_on_the_newest(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    older = await open_check([TARO])
    newer = await open_check([TARO], account_id=older.account_id)
    assert await phone_check_status(db, older.flow_id, clock.now()) == "expired"  # voided by the newer flow
    if older.check.auth_number != newer.check.auth_number:
        assert rejected_unanswered(await ring(server, TARO, older.check.auth_number))
    await ring(server, TARO, newer.check.auth_number)
    assert await phone_check_status(db, newer.flow_id, clock.now()) == "matched"
    assert await phone_check_status(db, older.flow_id, clock.now()) == "expired"


async def test_say_mode_answers_a_matched_call_with_a_spoken_japanese_confirmation(
    start_server, database_url: str, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring, tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "renkei.toml"
    config.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8").replace('matched_call = "reject"', 'matched_call = "say"'), encoding="utf-8")
    server = await start_server(build_test_settings(database_url, RENKEI_CONFIG=str(config)))
    waiting = await open_check([TARO])
    response = await ring(server, TARO, waiting.check.auth_number)
    assert twiml.MATCHED_TEXT in response.text and 'language="ja-JP"' in response.text and "<Hangup />" in response.text
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


async def test_the_operation_log_records_every_call_with_the_caller_masked(
    server, db: asyncpg.Pool, clock: FrozenClock, open_check: OpenCheck, ring: Ring, log_lines: list[str],
) -> None:  # type: ignore[no-untyped-def]
    waiting = await open_check([TARO])
    await ring(server, STRANGER, waiting.check.auth_number)
    await ring(server, TARO, waiting.check.auth_number)
    rows = await db.fetch("SELECT * FROM operation_log WHERE event = 'ivr:call' ORDER BY id")
    assert [(r["outcome"], r["detail"]["result"], r["account_id"]) for r in rows] == [
        ("failure", "unmatched", None), ("success", "matched", waiting.account_id),
    ]
    assert rows[1]["flow_id"] == waiting.flow_id and rows[1]["account_masked"].startswith("001-1-***")
    assert [r["detail"]["caller"] for r in rows] == ["070-****-4444", "090-****-5678"]
    stored = json.dumps([dict(r) for r in rows], default=str) + json.dumps(
        [dict(r) for r in await db.fetch("SELECT * FROM ivr_call")], default=str
    )
    everything_logged = "\n".join(log_lines)
    assert any('"ivr.call"' in line for line in log_lines)
    for full_number in (TARO, STRANGER, TARO[3:], STRANGER[3:], "09012345678", "07033334444"):
        assert full_number not in stored and full_number not in everything_logged


async def test_the_status_callback_records_how_the_call_ended(server, db: asyncpg.Pool, open_check: OpenCheck, ring: Ring) -> None:  # type: ignore[no-untyped-def]

    waiting = await open_check([TARO])
    call_sid = new_call_sid()
    await ring(server, TARO, waiting.check.auth_number, call_sid)
    url = server.runtime.settings.public_url + "/ivr/status"
    validator = RequestValidator(server.runtime.settings.ivr.twilio_auth_token)
    async with httpx.AsyncClient() as client:
        for sid in (call_sid, new_call_sid()):  # ours, then one we never heard of
            form = {"CallSid": sid, "CallStatus": "busy", "From": TARO, "To": waiting.check.auth_number}
            response = await client.post(url, data=form, headers={"X-Twilio-Signature": validator.compute_signature(url, form)})
            assert response.status_code == 200
        forged = await client.post(url, data={"CallSid": call_sid, "CallStatus": "completed"}, headers={"X-Twilio-Signature": "AAAA"})
    assert forged.status_code == 403
    rows = await db.fetch("SELECT call_sid, final_status FROM ivr_call")
    assert [(r["call_sid"], r["final_status"]) for r in rows] == [(call_sid, "busy")]
