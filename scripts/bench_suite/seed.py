"""What the scenarios need in the database: the demo data, a resource server, and many customers.

The demo data and the resource server go through the real `renkei` command;
bench customers, grants and open phone checks are written in bulk with plain SQL
(shaped like the rows the screens write), since making thousands of them
through the screens would take longer than the benchmark itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from bench_suite.paths import ROOT, VENV_BIN
from server.demo import DEMO_REDIRECT_URI, DEMO_SCOPES
from server.demo import DEMO_SANDBOX_CLIENT_ID as DEMO_CLIENT_ID  # the demo app with a secret
from server.hashing import new_token, token_digest

BIRTH_DATE = "1980-04-01"
PIN = "1234"
# Any valid S256 challenge: bench flows that start at screen ④ never reach the code exchange.
_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@dataclass(frozen=True)
class BenchAccount:
    id: int
    branch_code: str
    account_number: str
    phone: str  # E.164

    def as_json(self) -> dict[str, str]:
        return {"branch_code": self.branch_code, "account_type": "1", "account_number": self.account_number,
                "birth_date": BIRTH_DATE, "phone": self.phone, "pin": PIN}


def renkei(*args: str, env: dict[str, str]) -> str:
    """The real `renkei` command; its standard output."""
    done = subprocess.run([str(VENV_BIN / "renkei"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"renkei {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def seed_demo_and_resource_server(env: dict[str, str]) -> tuple[str, str]:
    """`renkei seed-demo`, then a resource server; its (client_id, client_secret)."""
    renkei("seed-demo", env=env)
    credentials = json.loads(renkei("clients", "add", "--kind", "resource-server", "--name", "bench resource server", env=env))
    return credentials["client_id"], credentials["client_secret"]


async def add_accounts(conn: asyncpg.Connection, *, branch_code: str, count: int, pin_hash: str, imported_at: datetime) -> list[BenchAccount]:
    """``count`` eligible 普通 accounts on ``branch_code``, each with its own phone, all with PIN 1234."""
    rows = await conn.fetch(
        """INSERT INTO account (branch_code, account_type, account_number, birth_date, name_kana, phones, pin_hash,
                                cash_card, status, imported_at)
           SELECT $1, 1, lpad(n::text, 7, '0'), $2::date, 'ベンチ タロウ', ARRAY['+8170' || $1 || lpad(n::text, 5, '0')],
                  $3, true, 'active', $4
           FROM generate_series(1, $5) AS n
           RETURNING id, account_number, phones[1] AS phone""",
        branch_code, datetime.fromisoformat(BIRTH_DATE).date(), pin_hash, imported_at, count,
    )
    return [BenchAccount(r["id"], branch_code, r["account_number"], r["phone"]) for r in rows]


async def add_grants(conn: asyncpg.Connection, accounts: list[BenchAccount], *, now: datetime) -> list[str]:
    """One live grant of the demo app per account; the refresh token of each (stored as its digest)."""
    grant_ids = [uuid.uuid4() for _ in accounts]
    refresh_tokens = [new_token(32) for _ in accounts]
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO oauth_grant (id, client_id, account_id, scopes, authenticated_at, expires_at, last_used_at, exchanged_at)
               SELECT g, $2, a, $4, $5, $6, $5, $5 FROM unnest($1::uuid[], $3::bigint[]) AS t(g, a)""",
            grant_ids, DEMO_CLIENT_ID, [a.id for a in accounts], DEMO_SCOPES, now, now + timedelta(days=90),
        )
        await conn.execute(
            "INSERT INTO refresh_token (token_digest, grant_id, issued_at) SELECT d, g, $3 FROM unnest($1::bytea[], $2::uuid[]) AS t(d, g)",
            [token_digest(t) for t in refresh_tokens], grant_ids, now,
        )
    return refresh_tokens


async def open_phone_checks(conn: asyncpg.Connection, accounts: list[BenchAccount], *, auth_numbers: tuple[str, ...],
                            window_seconds: int, now: datetime) -> list[tuple[str, str]]:
    """A flow waiting on screen ④ for each account; the (caller, auth number) of each open check."""
    flow_ids = [uuid.uuid4() for _ in accounts]
    numbers = [auth_numbers[i % len(auth_numbers)] for i in range(len(accounts))]
    async with conn.transaction():
        await conn.execute(
            """INSERT INTO flow (id, cookie_digest, client_id, redirect_uri, scopes, code_challenge, code_challenge_method,
                                 step, account_id, created_at, last_seen_at)
               SELECT f, c, $4, $5, $6, $7, 'S256', 'call', a, $8, $8
               FROM unnest($1::uuid[], $2::bytea[], $3::bigint[]) AS t(f, c, a)""",
            flow_ids, [os.urandom(32) for _ in accounts], [a.id for a in accounts], DEMO_CLIENT_ID, DEMO_REDIRECT_URI,
            DEMO_SCOPES, _CHALLENGE, now,
        )
        await conn.execute(
            """INSERT INTO phone_check (flow_id, account_id, auth_number, caller_phones, shown_at, expires_at, state)
               SELECT f, a, n, ARRAY[p], $5, $6, 'open'
               FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[]) AS t(f, a, n, p)""",
            flow_ids, [a.id for a in accounts], numbers, [a.phone for a in accounts], now, now + timedelta(seconds=window_seconds),
        )
    return [(a.phone, n) for a, n in zip(accounts, numbers)]
