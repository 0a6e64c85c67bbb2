"""A call as Twilio would report it, for development: a correctly signed webhook POST.

Used by ``renkei simulate-call`` and the development "simulate the call"
button; production refuses both (no one may fake a customer's call there).
"""

from __future__ import annotations

import secrets

import httpx
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from ivr.webhook import VOICE_PATH

TWILIO_API_VERSION = "2010-04-01"


def new_call_sid() -> str:
    return "CA" + secrets.token_hex(16)


def call_form(from_: str, to: str, call_sid: str) -> dict[str, str]:
    """The fields of Twilio's Voice webhook for an incoming call that matter here."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": TWILIO_API_VERSION,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": to,
        "Caller": from_,
        "Direction": "inbound",
        "From": from_,
        "To": to,
    }


async def simulate_call(
    public_url: str, auth_token: str, from_: str, to: str, call_sid: str | None = None, *, client: httpx.AsyncClient | None = None,
) -> httpx.Response:
    """POST the webhook for a call ``from_`` → ``to`` to the server at ``public_url``, signed as Twilio signs it.

    Twilio waits 15 s for an answer, and so does this. Pass ``client`` to reuse connections (benchmarks).
    """
    url = public_url.rstrip("/") + VOICE_PATH
    form = call_form(from_, to, call_sid or new_call_sid())
    headers = {SIGNATURE_HEADER: RequestValidator(auth_token).compute_signature(url, form)}
    if client is not None:
        return await client.post(url, data=form, headers=headers, timeout=15)
    async with httpx.AsyncClient(timeout=15) as own_client:
        return await own_client.post(url, data=form, headers=headers)
