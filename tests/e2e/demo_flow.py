"""The demo customer Taro links the demo app over real HTTP, against one or more running servers.

As a browser without JavaScript plus the waiting screen's event stream: cookies,
forms and CSRF as a phone sends them, and Twilio's call signed for the public URL.
Used wherever a whole `renkei serve` must prove a flow goes through: several
processes (test_multi_process), one installed from the wheel (tests/packaging).
"""

from __future__ import annotations

import asyncio
from itertools import cycle
from urllib.parse import urljoin

import httpx
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from ivr.simulate import call_form, new_call_sid
from ivr.webhook import VOICE_PATH
from server.demo import DEMO_CLIENT_SECRET
from tests.flow.walk import auth_number_of, csrf_of, pkce_pair, redirect_query

DEMO_APP = "demo-sandbox"  # the demo app with a secret (demo-fintech signs with its own key)
DEMO_REDIRECT = "http://127.0.0.1:8080/callback"
TARO = {"branch_code": "001", "account_type": "1", "account_number": "1234567"}
TARO_PHONE, TARO_BIRTH, TARO_PIN = "+819012345678", "1980-04-01", "1234"
TWILIO_TOKEN = "dev-twilio-auth-token-not-secret"


class RoundRobin:
    """One browser (one cookie jar) whose every request goes to the next process."""

    def __init__(self, http: httpx.AsyncClient, urls: list[str]) -> None:
        self.http, self.urls, self.seen = http, cycle(urls), []
        self.page = ""

    def next_url(self) -> str:
        url = next(self.urls)
        self.seen.append(url)
        return url

    async def get(self, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        response = await self.http.get(urljoin(self.next_url(), path), **kwargs)
        self.page = response.text
        return response

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        response = await self.http.post(urljoin(self.next_url(), path), data={"csrf_token": csrf_of(self.page), **data})
        assert response.status_code == 303, response.text[:500]
        return response


async def link_taro(browser: RoundRobin, *, public_url: str, state: str) -> tuple[dict[str, str], str]:
    """From /authorize to ⑥ approved; the redirect's query and the PKCE verifier for /token."""
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": DEMO_APP, "redirect_uri": DEMO_REDIRECT, "state": state,
              "scope": "accounts:read transactions:read", "code_challenge": challenge, "code_challenge_method": "S256"}
    started = await browser.get("/authorize", params=params)
    assert started.status_code in (302, 303) and started.headers["location"].endswith("/flow/account")
    await browser.get("/flow/account")
    await browser.post("/flow/account", TARO)
    await browser.get("/flow/customer")
    await browser.post("/flow/customer", {"birth_date": TARO_BIRTH, "name_kana": "ヤマダ タロウ", "email": "taro@example.jp"})
    await browser.get("/flow/phone")
    await browser.post("/flow/phone", {})
    await browser.get("/flow/phone/call")
    await _call_while_the_screen_listens(browser, public_url, auth_number_of(browser.page))
    await browser.post("/flow/phone/call", {})
    await browser.get("/flow/pin")
    await browser.post("/flow/pin", {"pin": TARO_PIN})
    await browser.get("/flow/consent")
    approved = await browser.post("/flow/consent", {"decision": "approve"})
    assert approved.headers["location"].startswith(DEMO_REDIRECT)
    return redirect_query(approved), verifier


async def exchange_code(http: httpx.AsyncClient, process_url: str, answer: dict[str, str], verifier: str) -> dict[str, str]:
    """The demo app's back end at /token: the tokens for the code."""
    tokens = await http.post(urljoin(process_url, "/token"), auth=(DEMO_APP, DEMO_CLIENT_SECRET), data={
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": DEMO_REDIRECT, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


async def _call_while_the_screen_listens(browser: RoundRobin, public_url: str, auth_number: str) -> None:
    """The wait screen listens on one process; Twilio's call arrives at the next."""
    http = browser.http
    async with http.stream("GET", urljoin(browser.next_url(), "/flow/phone/events")) as events:
        assert events.status_code == 200
        event = asyncio.create_task(_read_event(events))
        call = await ring(http, browser.next_url(), public_url=public_url, caller=TARO_PHONE, to=auth_number)
        assert call.status_code == 200 and "<Reject" in call.text
        assert await asyncio.wait_for(event, 10) == "matched"


async def _read_event(stream: httpx.Response) -> str:
    async for line in stream.aiter_lines():
        if line.startswith("event: "):
            return line.removeprefix("event: ")
    return "closed"


async def ring(http: httpx.AsyncClient, process_url: str, *, public_url: str, caller: str, to: str) -> httpx.Response:
    """Twilio's webhook, signed for the public URL (the load balancer's), delivered to one process behind it."""
    form = call_form(caller, to, new_call_sid())
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public_url + VOICE_PATH, form)
    return await http.post(process_url + VOICE_PATH, data=form, headers={SIGNATURE_HEADER: signature})
