"""What a caller hears: the TwiML answer for each outcome of a call, and every text spoken.

A matched call is rejected unanswered: ``<Reject>`` as the first verb is the only
answer Twilio does not pick up, so neither the caller nor the bank pays for it.
Every other answer is spoken (the call is answered) in short, polite Japanese.
"""

from __future__ import annotations

from starlette.responses import Response
from twilio.twiml.voice_response import VoiceResponse

MATCHED, UNMATCHED, LATE, WITHHELD = "matched", "unmatched", "late", "withheld"
OUTCOMES = (MATCHED, UNMATCHED, LATE, WITHHELD)

# Polly's Japanese voice; Twilio's default voice does not speak ja-JP.
LANGUAGE, VOICE = "ja-JP", "Polly.Mizuki"

TEXTS = {
    MATCHED: "電話番号の確認ができました。お電話をお切りになり、画面の操作をお続けください。",
    UNMATCHED: (
        "お電話ありがとうございます。このお電話では電話番号の確認ができませんでした。"
        "ご登録の電話番号から、画面に表示されている認証番号へおかけください。"
    ),
    LATE: "電話番号認証の有効時間、{seconds}秒を過ぎました。お手数ですが、最初から操作してください。",
    WITHHELD: (
        "お客様の電話番号が通知されていないため、確認ができませんでした。"
        "お手数ですが、番号の前に186をつけるなどして、電話番号を通知しておかけ直しください。"
    ),
}


# Not an outcome of a call: nothing was recorded, so the caller's next call counts as the first.
UNAVAILABLE_TEXT = (
    "申し訳ございません。ただ今、電話番号の確認を受け付けることができません。"
    "しばらくしてから、もう一度おかけ直しください。"
)


def unavailable() -> str:
    """What a caller hears when the call cannot be checked now (the database is unreachable)."""
    response = VoiceResponse()
    response.say(UNAVAILABLE_TEXT, language=LANGUAGE, voice=VOICE)
    response.hangup()
    return str(response)


def answer(outcome: str, *, matched_call: str, window_seconds: int) -> str:
    """The TwiML document for ``outcome``; ``matched_call`` is settings.ivr.matched_call."""
    response = VoiceResponse()
    if outcome == MATCHED and matched_call == "reject":
        response.reject(reason="rejected")
        return str(response)
    response.say(TEXTS[outcome].format(seconds=window_seconds), language=LANGUAGE, voice=VOICE)
    response.hangup()
    return str(response)


def twiml_response(document: str) -> Response:
    return Response(document, media_type="application/xml", headers={"Cache-Control": "no-store"})
