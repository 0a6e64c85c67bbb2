"""One complete authorization as a customer's browser and Twilio make it, step by step.

/authorize, the six screens (each shown, then posted), the call to the auth
number (a signed Voice webhook, as Twilio sends it), and the app's code
exchange at /token. Each step is timed on its own; ``on_step`` hears about it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from ivr.simulate import call_form, new_call_sid

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_AUTH_NUMBER = re.compile(r'data-auth-number="([^"]+)"')

STEPS = ("authorize", "① show", "① post", "② show", "② post", "③ show", "③ post", "④ show", "call (webhook)",
         "④ post", "⑤ show", "⑤ post (argon2)", "⑥ show", "⑥ post", "token (code)")


class FlowBroken(Exception):
    """The server answered a step otherwise than a customer who gets everything right would see."""


@dataclass(frozen=True)
class App:
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str


@dataclass
class Walker:
    http: httpx.AsyncClient  # this customer's browser: its own cookie jar and connection
    base_url: str  # where requests go (a server process)
    public_url: str  # what Twilio signs
    twilio_token: str
    app: App
    on_step: Callable[[str, float], None]
    page: str = ""

    async def _timed(self, step: str, method: str, path: str, *, expect: int | tuple[int, ...], **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = await self.http.request(method, self.base_url + path, **kwargs)
        self.on_step(step, time.perf_counter() - started)
        if response.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            raise FlowBroken(f"{step}: {response.status_code} {response.text[:300]!r}")
        self.page = response.text
        return response

    async def _screen(self, number: str, path: str, form: dict[str, str], *, post_step: str | None = None) -> httpx.Response:
        await self._timed(f"{number} show", "GET", path, expect=200)
        match = _CSRF.search(self.page)
        if not match:
            raise FlowBroken(f"{number}: no csrf_token on the page")
        return await self._timed(post_step or f"{number} post", "POST", path, expect=303, data={"csrf_token": match[1], **form})

    async def walk(self, account: dict[str, str]) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {"response_type": "code", "client_id": self.app.client_id, "redirect_uri": self.app.redirect_uri,
                  "scope": self.app.scope, "state": secrets.token_hex(4), "code_challenge": challenge,
                  "code_challenge_method": "S256"}
        self.http.cookies.clear()
        await self._timed("authorize", "GET", "/authorize", expect=(302, 303), params=params)
        await self._screen("①", "/flow/account", {k: account[k] for k in ("branch_code", "account_type", "account_number")})
        await self._screen("②", "/flow/customer", {"birth_date": account["birth_date"], "name_kana": "ベンチ タロウ",
                                                  "email": "bench@example.jp"})
        await self._screen("③", "/flow/phone", {})
        await self._timed("④ show", "GET", "/flow/phone/call", expect=200)
        await self._call(account["phone"])
        await self._timed("④ post", "POST", "/flow/phone/call", expect=303, data={"csrf_token": _CSRF.search(self.page)[1]})  # type: ignore[index]
        await self._screen("⑤", "/flow/pin", {"pin": account["pin"]}, post_step="⑤ post (argon2)")
        approved = await self._screen("⑥", "/flow/consent", {"decision": "approve"})
        code = parse_qs(urlsplit(approved.headers["location"]).query).get("code", [""])[0]
        await self._timed("token (code)", "POST", "/token", expect=200, auth=(self.app.client_id, self.app.client_secret),
                          data={"grant_type": "authorization_code", "code": code, "redirect_uri": self.app.redirect_uri,
                                "code_verifier": verifier})

    async def _call(self, caller: str) -> None:
        match = _AUTH_NUMBER.search(self.page)
        if not match:
            raise FlowBroken("④: no auth number on the page")
        form = call_form(caller, html.unescape(match[1]), new_call_sid())
        signature = RequestValidator(self.twilio_token).compute_signature(self.public_url + "/ivr/voice", form)
        page = self.page
        response = await self._timed("call (webhook)", "POST", "/ivr/voice", expect=200, data=form,
                                     headers={SIGNATURE_HEADER: signature})
        if "<Reject" not in response.text:
            raise FlowBroken(f"call: not matched: {response.text[:200]!r}")
        self.page = page  # the call is Twilio's, not the browser's: screen ④ is still what the customer sees
