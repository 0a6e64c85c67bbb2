"""Rows the IVR tests need (a client, accounts, flows), written with plain SQL."""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import datetime
from uuid import UUID

import asyncpg

from server.clock import TOKYO

IMPORTED_AT = datetime(2026, 11, 1, 9, 0, tzinfo=TOKYO)
CLIENT_ID = "ivr-test-app"
_numbers = itertools.count(1000001)


async def create_client(conn: asyncpg.Connection | asyncpg.Pool, client_id: str = CLIENT_ID) -> str:
    await conn.execute(
        """INSERT INTO oauth_client (client_id, kind, name, profile, auth_method, redirect_uris, scopes,
                                     require_par, require_dpop, created_at)
           VALUES ($1, 'app', 'IVR test app', 'sandbox', 'client_secret_basic', '{http://127.0.0.1:8080/callback}',
                   '{accounts:read}', false, false, $2)
           ON CONFLICT (client_id) DO NOTHING""",
        client_id, IMPORTED_AT,
    )
    return client_id


async def create_account(conn: asyncpg.Connection | asyncpg.Pool, phones: list[str], *, branch_code: str = "001") -> int:
    """An eligible 普通 account with these registered numbers (E.164)."""
    return await conn.fetchval(
        """INSERT INTO account (branch_code, account_type, account_number, birth_date, name_kana, phones,
                                pin_hash, cash_card, status, imported_at)
           VALUES ($1, 1, $2, '1980-04-01', 'ヤマダ タロウ', $3, 'not-a-real-hash', true, 'active', $4)
           RETURNING id""",
        branch_code, f"{next(_numbers):07d}", phones, IMPORTED_AT,
    )


async def create_flow(conn: asyncpg.Connection | asyncpg.Pool, account_id: int, now: datetime, client_id: str = CLIENT_ID) -> UUID:
    """A flow that has reached screen ④ for ``account_id``."""
    flow_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO flow (id, cookie_digest, client_id, redirect_uri, scopes, code_challenge, code_challenge_method,
                             step, account_id, created_at, last_seen_at)
           VALUES ($1, $2, $3, 'http://127.0.0.1:8080/callback', '{accounts:read}', $4, 'S256', 'call', $5, $6, $6)""",
        flow_id, os.urandom(32), client_id, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", account_id, now,
    )
    return flow_id
