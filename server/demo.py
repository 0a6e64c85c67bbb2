"""The demo data of contract §9: five customers, one app, two staff accounts.

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

DEMO_CLIENT_ID = "demo-fintech"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_REDIRECT_URI = "http://127.0.0.1:8080/callback"
DEMO_SCOPES = ["accounts:read", "transactions:read"]

DEMO_STAFF_PASSWORD = "demo-password"
HEAD_OFFICE_BRANCH = "000"


@dataclass(frozen=True)
class DemoStaff:
    staff_id: str
    branch_code: str
    role: str


DEMO_STAFF = (DemoStaff("hq-admin", HEAD_OFFICE_BRANCH, "hq"), DemoStaff("branch001", "001", "branch"),
              DemoStaff("branch001-sv", "001", "supervisor"))  # 役席 of branch 001: approves unlock requests


async def seed_client(conn: asyncpg.Connection, now: datetime) -> bool:
    """The demo app (sandbox profile, client_secret_basic); False when it is there already."""
    added = await clients.insert_client(
        conn, client_id=DEMO_CLIENT_ID, kind="app", name="デモ家計簿アプリ", operator="デモフィンテック株式会社",
        profile="sandbox", auth_method="client_secret_basic", secret_digest=token_digest(DEMO_CLIENT_SECRET),
        jwks=None, jwks_uri=None, redirect_uris=[DEMO_REDIRECT_URI], scopes=DEMO_SCOPES,
        require_par=False, require_dpop=False, created_at=now,
    )
    if added:
        await oplog.append(conn, oplog.Entry(at=now, event="client:add", outcome="success", client_id=DEMO_CLIENT_ID,
                                             detail={"kind": "app", "profile": "sandbox", "demo": True}))
    return added


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
