"""A customer walking the screens over real HTTP, as a browser does (cookies, forms, CSRF).

Also the rows those walks need (an app, accounts), written with plain SQL.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from ivr.simulate import simulate_call
from server.clock import TOKYO
from server.hashing import hash_pin
from server.runtime import argon2_params
from server.settings import Settings

REDIRECT_URI = "http://127.0.0.1:8080/callback"
CLIENT_ID = "flow-test-app"
APP_NAME = "テスト家計簿アプリ"
APP_OPERATOR = "テストフィンテック株式会社"
IMPORTED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=TOKYO)
TARO_PHONE = "+819012345678"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REASON = re.compile(r'data-reason-code="([A-Z0-9]+)"')
_AUTH_NUMBER = re.compile(r'data-auth-number="([^"]+)"')


async def create_client(conn: asyncpg.Pool, client_id: str = CLIENT_ID, *, profile: str = "sandbox",
                        redirect_uris: tuple[str, ...] = (REDIRECT_URI,), scopes: tuple[str, ...] = ("accounts:read", "transactions:read"),
                        disabled: bool = False) -> str:
    fapi2 = profile == "fapi2"
    await conn.execute(
        """INSERT INTO oauth_client (client_id, kind, name, operator, profile, auth_method, redirect_uris, scopes,
                                     require_par, require_dpop, created_at, disabled_at)
           VALUES ($1, 'app', $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)""",
        client_id, APP_NAME, APP_OPERATOR, profile, "private_key_jwt" if fapi2 else "client_secret_basic",
        list(redirect_uris), list(scopes), fapi2, IMPORTED_AT, IMPORTED_AT if disabled else None,
    )
    return client_id


@dataclass(frozen=True)
class Account:
    id: int
    branch_code: str
    account_type: int
    account_number: str
    birth_date: str
    pin: str
    phones: tuple[str, ...]

    @property
    def form(self) -> dict[str, str]:
        return {"branch_code": self.branch_code, "account_type": str(self.account_type), "account_number": self.account_number}


async def create_account(conn: asyncpg.Pool, settings: Settings, *, branch_code: str = "001", account_type: int = 1,
                         account_number: str = "1234567", birth_date: str = "1980-04-01", pin: str = "1234",
                         phones: tuple[str, ...] = (TARO_PHONE,), cash_card: bool = True, status: str = "active",
                         moved_to: str | None = None) -> Account:
    from datetime import date

    account_id = await conn.fetchval(
        """INSERT INTO account (branch_code, account_type, account_number, birth_date, name_kana, phones, pin_hash,
                                cash_card, status, moved_to, imported_at)
           VALUES ($1, $2, $3, $4, 'ヤマダ タロウ', $5, $6, $7, $8, $9, $10) RETURNING id""",
        branch_code, account_type, account_number, date.fromisoformat(birth_date), list(phones),
        hash_pin(settings.secrets.pin_pepper, argon2_params(settings), pin), cash_card, status, moved_to, IMPORTED_AT,
    )
    return Account(account_id, branch_code, account_type, account_number, birth_date, pin, phones)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(client_id: str = CLIENT_ID, **overrides: str | None) -> dict[str, str]:
    _, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
              "scope": "accounts:read transactions:read", "state": "st-" + secrets.token_hex(4),
              "code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def csrf_of(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "the page has no csrf_token field"
    return match[1]


def reason_of(page: str) -> str | None:
    match = _REASON.search(page)
    return match[1] if match else None


def auth_number_of(page: str) -> str:
    match = _AUTH_NUMBER.search(page)
    assert match, "the page shows no auth number"
    return html.unescape(match[1])


def redirect_query(response: httpx.Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


@dataclass
class Customer:
    """One browser: its cookie jar holds the flow cookie; ``page`` is the last screen seen."""

    http: httpx.AsyncClient
    settings: Settings
    page: str = ""
    params: dict[str, str] = field(default_factory=dict)

    async def start(self, **overrides: str | None) -> httpx.Response:
        self.params = authorize_params(**overrides)
        response = await self.http.get("/authorize", params=self.params)
        if response.status_code in (302, 303) and response.headers["location"].startswith("/flow/"):
            await self.open(response.headers["location"])
        return response

    async def open(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        self.page = response.text
        return response

    async def post(self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = None) -> httpx.Response:
        """Post a form as the page would (with the page's CSRF token), then follow a redirect to our screens."""
        form = {"csrf_token": csrf if csrf is not None else csrf_of(self.page), **(data or {})}
        response = await self.http.post(path, data=form)
        if response.status_code == 303 and response.headers["location"].startswith("/flow/"):
            await self.open(response.headers["location"])
        else:
            self.page = response.text
        return response

    async def enter_account(self, account: Account, **changes: str) -> httpx.Response:
        return await self.post("/flow/account", account.form | changes)

    async def enter_details(self, birth_date: str, *, name_kana: str = "ヤマダ タロウ", email: str = "taro@example.jp") -> httpx.Response:
        return await self.post("/flow/customer", {"birth_date": birth_date, "name_kana": name_kana, "email": email})

    async def call_in(self, from_: str | None = None, to: str | None = None) -> httpx.Response:
        """Dial the number screen ④ shows (a real, signed Twilio webhook to the server)."""
        to = to or auth_number_of(self.page)
        return await simulate_call(self.settings.public_url, self.settings.ivr.twilio_auth_token, from_ or TARO_PHONE, to)

    async def through_identity(self, account: Account) -> None:
        await self.enter_account(account)
        await self.enter_details(account.birth_date)

    async def through_phone(self, account: Account) -> None:
        await self.through_identity(account)
        await self.post("/flow/phone")
        await self.call_in(account.phones[0])
        await self.post("/flow/phone/call")

    async def through_pin(self, account: Account) -> None:
        await self.through_phone(account)
        await self.post("/flow/pin", {"pin": account.pin})
