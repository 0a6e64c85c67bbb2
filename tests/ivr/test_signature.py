"""Only requests Twilio signed, for our public URL, are heard; anything else gets 403 and changes nothing."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from twilio.request_validator import RequestValidator

from ivr.checks import phone_check_status
from ivr.simulate import call_form, new_call_sid, simulate_call
from server.clock import FrozenClock
from tests.conftest import build_test_settings
from tests.ivr.conftest import TARO, OpenCheck


def _signed(token: str, url: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


@pytest.fixture
async def waiting(open_check: OpenCheck):  # type: ignore[no-untyped-def]
    return await open_check([TARO])


async def _nothing_happened(db: asyncpg.Pool, waiting, clock: FrozenClock) -> bool:  # type: ignore[no-untyped-def]
    calls = await db.fetchval("SELECT count(*) FROM ivr_call")
    return calls == 0 and await phone_check_status(db, waiting.flow_id, clock.now()) == "waiting"


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": ""}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}],
    ids=["missing", "empty", "forged"],
)
async def test_a_request_without_a_valid_signature_is_refused(server, db, clock, waiting, headers) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post("/ivr/voice", data=call_form(TARO, waiting.check.auth_number, new_call_sid()), headers=headers)
    assert response.status_code == 403 and response.headers["content-type"].startswith("text/plain")
    assert await _nothing_happened(db, waiting, clock)


async def test_a_request_signed_with_another_auth_token_is_refused(server, db, clock, waiting) -> None:  # type: ignore[no-untyped-def]
    response = await simulate_call(server.url, "someone-elses-auth-token", TARO, waiting.check.auth_number)
    assert response.status_code == 403
    assert await _nothing_happened(db, waiting, clock)


async def test_a_signature_over_a_stale_public_url_is_refused(server, db, clock, waiting) -> None:  # type: ignore[no-untyped-def]
    url = server.url + "/ivr/voice"
    form = call_form(TARO, waiting.check.auth_number, new_call_sid())
    headers = _signed(server.runtime.settings.ivr.twilio_auth_token, "https://old-renkei.example.jp/ivr/voice", form)
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, data=form, headers=headers)).status_code == 403
    assert await _nothing_happened(db, waiting, clock)


async def test_a_signed_form_altered_on_the_way_is_refused(server, db, clock, waiting) -> None:  # type: ignore[no-untyped-def]
    url = server.url + "/ivr/voice"
    form = call_form("+817099990000", waiting.check.auth_number, new_call_sid())
    headers = _signed(server.runtime.settings.ivr.twilio_auth_token, url, form)
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data={**form, "From": TARO}, headers=headers)
    assert response.status_code == 403
    assert await _nothing_happened(db, waiting, clock)


async def test_the_signature_covers_the_public_url_not_the_host_the_request_reached(
    start_server, database_url: str, db, clock, waiting,
) -> None:  # type: ignore[no-untyped-def]
    # Behind a proxy: Twilio calls the public https URL; the request reaches us on loopback.
    public = "https://renkei.example.jp"
    server = await start_server(build_test_settings(database_url, RENKEI_PUBLIC_URL=public))
    form = call_form(TARO, waiting.check.auth_number, new_call_sid())
    headers = _signed(server.runtime.settings.ivr.twilio_auth_token, public + "/ivr/voice?attempt=1", form)
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post("/ivr/voice?attempt=1", data=form, headers=headers)
        wrong_query = await client.post("/ivr/voice?attempt=2", data=form, headers=headers)
    assert response.status_code == 200 and "<Reject" in response.text
    assert wrong_query.status_code == 403
    assert await phone_check_status(db, waiting.flow_id, clock.now()) == "matched"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe not utf-8", b"From=%FF%FE", b"x=" + b"a" * 20_000, b"&".join(b"f%d=1" % i for i in range(200))],
    ids=["raw-bytes", "bad-percent-encoding", "oversized", "too-many-fields"],
)
async def test_a_malformed_body_is_refused_without_an_error(server, db, clock, waiting, body: bytes) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl", "Content-Type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post("/ivr/voice", content=body, headers=headers)
    assert response.status_code == 403
    assert await _nothing_happened(db, waiting, clock)


@pytest.mark.parametrize("missing", ["CallSid", "To"])
async def test_a_signed_request_without_callsid_or_to_is_a_clear_400(server, db, clock, waiting, missing: str) -> None:  # type: ignore[no-untyped-def]
    url = server.url + "/ivr/voice"
    form = {k: v for k, v in call_form(TARO, waiting.check.auth_number, new_call_sid()).items() if k != missing}
    async with httpx.AsyncClient() as client:
        response = await client.post(url, data=form, headers=_signed(server.runtime.settings.ivr.twilio_auth_token, url, form))
    assert response.status_code == 400 and "CallSid" in response.text
    assert await _nothing_happened(db, waiting, clock)


async def test_only_post_is_accepted(client: httpx.AsyncClient) -> None:
    assert (await client.get("/ivr/voice")).status_code == 405
