"""What a caller hears: nothing. Every call is rejected unanswered (TwiML ``<Reject>``).

``<Reject>`` as the first verb is the only answer Twilio does not pick up, so no
call costs the caller (or the bank) anything, as screen ④ promises. What went
wrong with a call that cannot count (an unregistered or withheld number, a call
after the 120 s) is said on the customer's screen instead, at once (ivr.checks).
The one spoken answer left is the optional confirmation of a matched call
(``[ivr] matched_call = "say"``), which the bank may choose to pay for.
"""

from __future__ import annotations

from starlette.responses import Response
from twilio.twiml.voice_response import VoiceResponse

MATCHED, UNMATCHED, LATE, WITHHELD = "matched", "unmatched", "late", "withheld"
OUTCOMES = (MATCHED, UNMATCHED, LATE, WITHHELD)

# Polly's Japanese voice; Twilio's default voice does not speak ja-JP.
LANGUAGE, VOICE = "ja-JP", "Polly.Mizuki"

MATCHED_TEXT = "電話番号の確認ができました。お電話をお切りになり、画面の操作をお続けください。"


def reject() -> str:
    """Unanswered: the caller hears the line busy, and nobody pays for the call."""
    response = VoiceResponse()
    response.reject(reason="rejected")
    return str(response)


def unavailable() -> str:
    """The call cannot be checked now (the database is unreachable): rejected too; the caller may try again."""
    return reject()


def answer(outcome: str, *, matched_call: str) -> str:
    """The TwiML document for ``outcome``; ``matched_call`` is settings.ivr.matched_call."""
    if outcome == MATCHED and matched_call == "say":
        response = VoiceResponse()
        response.say(MATCHED_TEXT, language=LANGUAGE, voice=VOICE)
        response.hangup()
        return str(response)
    return reject()


def twiml_response(document: str) -> Response:
    return Response(document, media_type="application/xml", headers={"Cache-Control": "no-store"})
