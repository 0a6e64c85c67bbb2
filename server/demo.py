"""The demo data of contract §9: five customers, the demo apps and bank API, two staff accounts.

Development only: the secrets here are published. The customers live in
demo_customers.csv (PINs in clear, demo only) and go through the same import
as a core-banking extract. Head office staff carry branch code 000, the code
the demo gives 本部事務部 (head office); a real bank uses its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from server.db import clients, oplog, staff
from server.hashing import Argon2Params, hash_password, token_digest

DEMO_CUSTOMERS = Path(__file__).with_name("demo_customers.csv")

# The demo app (demo/fintech_app, started by scripts/serve): fapi2, signing with the key it made on
# first start and publishes at its jwks_uri, so seed-demo needs nothing from it.
DEMO_CLIENT_ID = "demo-fintech"
DEMO_APP_URL = "http://127.0.0.1:8080"
DEMO_REDIRECT_URI = DEMO_APP_URL + "/callback"
DEMO_SCOPES = ["accounts:read", "transactions:read"]
# A sandbox app with a published secret, for trying the endpoints by hand (curl) and for benchmarks.
DEMO_SANDBOX_CLIENT_ID = "demo-sandbox"
DEMO_CLIENT_SECRET = "demo-secret"
# The demo bank API's registration as a resource server (demo/bank_api).
DEMO_BANK_API_ID = "demo-bank-api"
DEMO_BANK_API_SECRET = "demo-bank-api-secret"

DEMO_STAFF_PASSWORD = "demo-password"
HEAD_OFFICE_BRANCH = "000"


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    branch_code: str
    role: str


DEMO_STAFF = (DemoStaff("hq-admin", HEAD_OFFICE_BRANCH, "hq"), DemoStaff("branch001", "001", "branch"),
              DemoStaff("branch001-sv", "001", "supervisor"))  # 役席 of branch 001: approves unlock requests


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    kind: str
    name: str
    profile: str
    secret: str | None = None
    redirect_uris: tuple[str, ...] = ()
    jwks_uri: str | None = None


def demo_clients(app_url: str = DEMO_APP_URL) -> tuple[DemoClient, ...]:
    """The demo app at ``app_url`` (scripts/serve --demo-port), the sandbox app, the demo bank API."""
    redirect_uris = tuple(dict.fromkeys([DEMO_REDIRECT_URI, app_url + "/callback"]))
    return (DemoClient(DEMO_CLIENT_ID, "app", "テスト家計簿アプリ", "fapi2", redirect_uris=redirect_uris, jwks_uri=app_url + "/jwks.json"),
            DemoClient(DEMO_SANDBOX_CLIENT_ID, "app", "テスト家計簿アプリ(サンドボックス)", "sandbox", DEMO_CLIENT_SECRET, redirect_uris),
            DemoClient(DEMO_BANK_API_ID, "resource_server", "デモ銀行API(残高・入出金明細)", "sandbox", DEMO_BANK_API_SECRET))


async def seed_clients(conn: asyncpg.Connection, now: datetime, app_url: str = DEMO_APP_URL) -> list[str]:
    """The demo clients that were missing, now registered (a demo app from before it was fapi2 is moved to fapi2)."""
    added = []
    for client in demo_clients(app_url):
        fapi2 = client.profile == "fapi2"
        inserted = await clients.insert_client(
            conn, client_id=client.client_id, kind=client.kind, name=client.name, operator="デモフィンテック株式会社",
            profile=client.profile, auth_method="private_key_jwt" if fapi2 else "client_secret_basic",
            secret_digest=token_digest(client.secret) if client.secret else None, jwks=None, jwks_uri=client.jwks_uri,
            redirect_uris=list(client.redirect_uris), scopes=DEMO_SCOPES if client.kind == "app" else [],
            require_par=fapi2, require_dpop=fapi2, created_at=now,
        ) or (fapi2 and await _sandbox_demo_app_to_fapi2(conn, client))
        if inserted:
            await oplog.append(conn, oplog.Entry(at=now, event="client:add", outcome="success", client_id=client.client_id,
                                                 detail={"kind": client.kind, "profile": client.profile, "demo": True}))
            added.append(client.client_id)
    return added


async def _sandbox_demo_app_to_fapi2(conn: asyncpg.Connection, client: DemoClient) -> bool:
    """A database seeded before the demo app signed its requests: the same client_id, now on fapi2."""
    return bool(await conn.fetchval(
        """UPDATE oauth_client SET profile = 'fapi2', auth_method = 'private_key_jwt', secret_digest = NULL, jwks_uri = $2,
                  redirect_uris = $3, require_par = true, require_dpop = true, name = $4
           WHERE client_id = $1 AND profile = 'sandbox' RETURNING true""",
        client.client_id, client.jwks_uri, list(client.redirect_uris), client.name,
    ))


async def seed_staff(conn: asyncpg.Connection, params: Argon2Params, now: datetime) -> list[str]:
    """The demo staff accounts that were missing, now created; existing ones are left as they are."""
    added = []
    for member in DEMO_STAFF:
        if await staff.get_staff(conn, member.staff_id) is not None:
            continue
        await staff.insert_staff(
            conn, staff_id=member.staff_id, branch_code=member.branch_code, role=member.role,
            password_hash=hash_password(params, DEMO_STAFF_PASSWORD), created_at=now,
        )
        detail = {"staff_id": member.staff_id, "branch_code": member.branch_code, "role": member.role, "demo": True}
        await oplog.append(conn, oplog.Entry(at=now, event="staff:add", outcome="success", detail=detail))
        added.append(member.staff_id)
    return added
