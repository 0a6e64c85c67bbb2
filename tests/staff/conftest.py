"""Staff console fixtures: staff members in the database and signed-in HTTP clients."""

from __future__ import annotations

import re
from datetime import timedelta
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest

from server.db.staff import insert_staff
from server.hashing import hash_password
from server.runtime import argon2_params
from server.settings import Settings
from tests.conftest import OPEN_HOURS

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no csrf_token field"
    return match[1]


async def sign_in(client: httpx.AsyncClient, staff_id: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in form and post it, as a browser does."""
    form = await client.get("/staff/login")
    return await client.post(
        "/staff/login", data={"staff_id": staff_id, "password": password, "csrf_token": csrf_from(form.text)}
    )


class Console:
    """A signed-in browser: remembers the session's CSRF token for forms and API calls."""

    def __init__(self, http: httpx.AsyncClient, staff_id: str) -> None:
        self.http, self.staff_id = http, staff_id
        self.csrf = ""

    async def open(self) -> Console:
        response = await sign_in(self.http, self.staff_id)
        assert response.status_code == 303, response.text
        self.csrf = (await self.http.get("/staff/api/session")).json()["csrf_token"]
        return self

    async def post_form(self, url: str, data: dict[str, str]) -> httpx.Response:
        return await self.http.post(url, data={"csrf_token": self.csrf, **data})

    async def post_json(self, url: str, body: dict) -> httpx.Response:
        return await self.http.post(url, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def add_staff(db: asyncpg.Pool, settings: Settings) -> Callable[..., Awaitable[None]]:
    params = argon2_params(settings)

    async def add(staff_id: str, branch_code: str = "001", role: str = "branch", password: str = PASSWORD) -> None:
        created = await insert_staff(
            db, staff_id=staff_id, branch_code=branch_code, role=role,
            password_hash=hash_password(params, password), created_at=OPEN_HOURS,
        )
        assert created

    return add


@pytest.fixture
async def open_console(server, add_staff) -> AsyncIterator[Callable[..., Awaitable[Console]]]:  # type: ignore[no-untyped-def]
    """``await open_console("branch001", branch_code="001", role="branch")``: a new browser, signed in."""
    clients: list[httpx.AsyncClient] = []

    async def open_(staff_id: str, branch_code: str = "001", role: str = "branch") -> Console:
        await add_staff(staff_id, branch_code, role)
        http = httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=10)
        clients.append(http)
        return await Console(http, staff_id).open()

    yield open_
    for http in clients:
        await http.aclose()


@pytest.fixture
def add_account(db: asyncpg.Pool) -> Callable[..., Awaitable[int]]:
    """An account row (as the import would write it); returns its id."""

    async def add(key: str, *, name_kana: str = "ヤマダ タロウ", status: str = "active", moved_to: str | None = None,
                  phones: tuple[str, ...] = ("+819012345678",)) -> int:
        branch, kind, number = key.split("-")
        return await db.fetchval(
            """INSERT INTO account (branch_code, account_type, account_number, birth_date, name_kana, phones,
                                    pin_hash, cash_card, status, moved_to, imported_at)
               VALUES ($1, $2, $3, '1980-04-01', $4, $8, 'not-a-real-hash', true, $5, $6, $7)
               RETURNING id""",
            branch, int(kind), number, name_kana, status, moved_to, OPEN_HOURS, list(phones),
        )

    return add


async def fail_identity(db: asyncpg.Pool, account_id: int, now, times: int = 3, limit: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Wrong birth dates, counted the way screen ② counts them (server.db.locks)."""
    from server.db import locks
    from server.policy.locks import LockKind

    for _ in range(times):
        async with db.acquire() as conn, conn.transaction():
            await locks.queue_behind_other_attempts(conn, account_id)
            await locks.record_failure(conn, account_id, LockKind.IDENTITY, limit=limit, now=now)


@pytest.fixture
def locked_account(add_account, db: asyncpg.Pool, clock) -> Callable[..., Awaitable[int]]:  # type: ignore[no-untyped-def]
    """``await locked_account("001-1-1234567")``: an account whose identity lock engaged just now."""

    async def lock(key: str = "001-1-1234567") -> int:
        account_id = await add_account(key)
        await fail_identity(db, account_id, clock.now())
        return account_id

    return lock


@pytest.fixture
def add_grant(db: asyncpg.Pool, clock) -> Callable[..., Awaitable[str]]:  # type: ignore[no-untyped-def]
    """``await add_grant(account_id)``: the demo app linked to the account two days ago (its code exchanged); the grant id."""
    from server.db.grants import create_grant

    async def add(account_id: int, scopes: tuple[str, ...] = ("accounts:read",)) -> str:
        await db.execute(
            """INSERT INTO oauth_client (client_id, kind, name, operator, profile, auth_method, redirect_uris, scopes,
                                         require_par, require_dpop, created_at)
               VALUES ('demo-fintech', 'app', 'デモ家計簿アプリ', 'デモフィンテック株式会社', 'sandbox',
                       'client_secret_basic', '{http://127.0.0.1:8080/callback}', '{accounts:read,transactions:read}',
                       false, false, $1)
               ON CONFLICT (client_id) DO NOTHING""",
            clock.now(),
        )
        async with db.acquire() as conn:
            grant_id = await create_grant(conn, client_id="demo-fintech", account_id=account_id, scopes=list(scopes),
                                          dpop_jkt=None, now=clock.now() - timedelta(days=2), max_days=90)
            await conn.execute("UPDATE oauth_grant SET exchanged_at = authenticated_at WHERE id = $1", grant_id)  # the app took its tokens
        return str(grant_id)

    return add
