"""A database holding rows of every table housekeeping works on, each on one side of its rule.

``build_world`` returns the cases: which row, whether a round must take it
(delete it; void it, for an open phone check) and why.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from server.policy.retention import Table
from tests.ivr import factories as ivr_factories

# How each table's rows are named, and described the way server.policy.retention reads them.
KEYS = {
    Table.DPOP_PROOF: "t.jti", Table.ACCESS_TOKEN: "t.jti", Table.REFRESH_TOKEN: "t.token_digest",
    Table.AUTHORIZATION_CODE: "t.code_digest", Table.PAR_REQUEST: "t.request_uri_digest", Table.PHONE_CHECK: "t.id",
    Table.IVR_CALL: "t.call_sid", Table.FLOW: "t.id", Table.ATTEMPT_THROTTLE: "t.key", Table.STAFF_SESSION: "t.session_digest",
    Table.EMAIL_OUTBOX: "t.id", Table.ACCOUNT_FAILURE: "t.account_id::text || t.kind || t.tokyo_day::text",
}
_GRANT = "JOIN oauth_grant g ON g.id = t.grant_id"
EXTRAS = {
    Table.REFRESH_TOKEN: (", g.revoked_at AS grant_revoked_at, g.expires_at AS grant_expires_at", _GRANT),
    Table.AUTHORIZATION_CODE: (", g.revoked_at AS grant_revoked_at, g.expires_at AS grant_expires_at", _GRANT),
    Table.FLOW: (""", (SELECT max(c.received_at) FROM phone_check p JOIN ivr_call c ON c.phone_check_id = p.id
                          WHERE p.flow_id = t.id) AS last_call_at""", ""),
    Table.EMAIL_OUTBOX: (", t.next_attempt_at = 'infinity' AS given_up", ""),
}


async def described_rows(conn: asyncpg.Connection | asyncpg.Pool, table: Table) -> dict[Any, dict[str, Any]]:
    columns, join = EXTRAS.get(table, ("", ""))
    where = "WHERE t.state = 'open'" if table is Table.PHONE_CHECK else ""
    rows = await conn.fetch(f"SELECT {KEYS[table]} AS key, t.* {columns} FROM {table.value} t {join} {where}")
    return {r["key"]: dict(r) for r in rows}


@dataclass(frozen=True)
class Case:
    table: Table
    key: Any
    goes: bool
    why: str


class World:
    def __init__(self, conn: asyncpg.Connection | asyncpg.Pool, now: datetime) -> None:
        self.conn, self.now, self.cases = conn, now, []  # type: list[Case]

    def ago(self, **delta: float) -> datetime:
        return self.now - timedelta(**delta)

    def note(self, table: Table, key: Any, goes: bool, why: str) -> None:
        self.cases.append(Case(table, key, goes, why))

    async def setup(self) -> None:
        await ivr_factories.create_client(self.conn)
        self.account_id = await ivr_factories.create_account(self.conn, ["+819012345678"])
        await self.conn.execute(
            "INSERT INTO staff (staff_id, branch_code, role, password_hash, created_at) VALUES ('clerk', '001', 'branch', 'x', $1)",
            self.now,
        )

    async def grant(self, authenticated: datetime, *, revoked: datetime | None = None, days: int = 90) -> uuid.UUID:
        grant_id = uuid.uuid4()
        await self.conn.execute(
            """INSERT INTO oauth_grant (id, client_id, account_id, scopes, authenticated_at, expires_at, last_used_at,
                                        revoked_at, revoked_reason)
               VALUES ($1, $2, $3, '{accounts:read}', $4, $5, $4, $6, $7)""",
            grant_id, ivr_factories.CLIENT_ID, self.account_id, authenticated, authenticated + timedelta(days=days),
            revoked, "test" if revoked else None,
        )
        return grant_id

    async def access_token(self, grant_id: uuid.UUID, expires: datetime, goes: bool, why: str, revoked: bool = False) -> None:
        jti = uuid.uuid4().hex
        await self.conn.execute(
            "INSERT INTO access_token (jti, grant_id, issued_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5)",
            jti, grant_id, expires - timedelta(minutes=10), expires, self.now if revoked else None,
        )
        self.note(Table.ACCESS_TOKEN, jti, goes, why)

    async def refresh_token(self, grant_id: uuid.UUID, issued: datetime, goes: bool, why: str, rotated: bool = False) -> None:
        digest = os.urandom(32)
        await self.conn.execute(
            "INSERT INTO refresh_token (token_digest, grant_id, issued_at, rotated_at) VALUES ($1, $2, $3, $4)",
            digest, grant_id, issued, issued + timedelta(minutes=10) if rotated else None,
        )
        self.note(Table.REFRESH_TOKEN, digest, goes, why)

    async def code(self, grant_id: uuid.UUID, issued: datetime, used: bool, goes: bool, why: str) -> None:
        digest = os.urandom(32)
        await self.conn.execute(
            """INSERT INTO authorization_code (code_digest, grant_id, client_id, redirect_uri, code_challenge, issued_at,
                                               expires_at, used_at)
               VALUES ($1, $2, $3, 'http://127.0.0.1:8080/callback', 'x', $4, $5, $6)""",
            digest, grant_id, ivr_factories.CLIENT_ID, issued, issued + timedelta(seconds=60), issued if used else None,
        )
        self.note(Table.AUTHORIZATION_CODE, digest, goes, why)

    async def tokens(self) -> None:
        live = await self.grant(self.ago(days=80))
        await self.refresh_token(live, self.ago(days=79), False, "a rotated refresh token of a live grant", rotated=True)
        await self.refresh_token(live, self.ago(days=1), False, "the current refresh token of a live grant")
        await self.access_token(live, self.now + timedelta(minutes=5), False, "a revoked access token not yet expired", True)
        await self.access_token(live, self.ago(hours=1), False, "an access token expired an hour ago")
        await self.access_token(live, self.ago(days=2), True, "an access token of a live grant expired two days ago")
        await self.code(live, self.ago(days=80), True, False, "the used code of a live grant")
        await self.code(live, self.ago(days=3), False, True, "an unused code expired three days ago")
        await self.code(live, self.ago(seconds=90), False, False, "an unused code expired half a minute ago")
        ended = await self.grant(self.ago(days=100))
        await self.refresh_token(ended, self.ago(days=100), False, "a refresh token of a grant that ended 10 days ago")
        long_ended = await self.grant(self.ago(days=125))
        await self.refresh_token(long_ended, self.ago(days=125), True, "a refresh token of a grant that ended 35 days ago", True)
        await self.refresh_token(long_ended, self.ago(days=95), False, "... issued 95 days ago: waits for 120 days after issue")
        await self.code(long_ended, self.ago(days=125), True, True, "the used code of a grant that ended 35 days ago")
        revoked = await self.grant(self.ago(days=130), revoked=self.ago(days=100), days=180)
        await self.refresh_token(revoked, self.ago(days=130), True, "a refresh token of a grant revoked 100 days ago")
        longer = await self.grant(self.ago(days=130), days=180)
        await self.refresh_token(longer, self.ago(days=130), False, "a refresh token of a grant made when grants lasted 180 days")

    async def single_use_ids(self) -> None:
        for key, forget_after, goes in (("dpop:old", self.ago(seconds=1), True), ("dpop:new", self.now + timedelta(seconds=30), False)):
            await self.conn.execute("INSERT INTO dpop_proof (jti, seen_at, forget_after) VALUES ($1, $2, $3)",
                                    key, forget_after - timedelta(minutes=5), forget_after)
            self.note(Table.DPOP_PROOF, key, goes, f"single-use id {key}")

    async def pushed_requests(self) -> None:
        for expired, goes in ((self.ago(hours=1), False), (self.ago(days=2), True)):
            digest = os.urandom(32)
            await self.conn.execute(
                """INSERT INTO par_request (request_uri_digest, client_id, params, created_at, expires_at)
                   VALUES ($1, $2, '{}', $3, $4)""",
                digest, ivr_factories.CLIENT_ID, expired - timedelta(seconds=90), expired,
            )
            self.note(Table.PAR_REQUEST, digest, goes, f"a pushed request expired at {expired}")

    async def flow(self, last_seen: datetime, goes: bool, why: str, *, finished: bool = True) -> uuid.UUID:
        flow_id = await ivr_factories.create_flow(self.conn, self.account_id, last_seen - timedelta(minutes=5))
        await self.conn.execute("UPDATE flow SET last_seen_at = $2, finished_at = $3, outcome = $4 WHERE id = $1",
                                flow_id, last_seen, last_seen if finished else None, "approved" if finished else None)
        self.note(Table.FLOW, flow_id, goes, why)
        return flow_id

    async def phone_check(self, flow_id: uuid.UUID, expired: datetime, state: str, goes: bool, why: str) -> int:
        check_id = await self.conn.fetchval(
            """INSERT INTO phone_check (flow_id, account_id, auth_number, caller_phones, shown_at, expires_at, state)
               VALUES ($1, $2, '+815000000001', '{+819012345678}', $3, $4, $5) RETURNING id""",
            flow_id, self.account_id, expired - timedelta(seconds=120), expired, state,
        )
        if state == "open":
            self.note(Table.PHONE_CHECK, check_id, goes, why)
        return check_id

    async def call(self, received: datetime, check_id: int | None, goes: bool, why: str) -> None:
        sid = "CA" + uuid.uuid4().hex
        await self.conn.execute(
            """INSERT INTO ivr_call (call_sid, auth_number, caller_masked, received_at, outcome, phone_check_id)
               VALUES ($1, '+815000000001', '090-****-5678', $2, $3, $4)""",
            sid, received, "matched" if check_id else "unmatched", check_id,
        )
        self.note(Table.IVR_CALL, sid, goes, why)

    async def flows_and_calls(self) -> None:
        await self.flow(self.ago(days=1), False, "a flow finished yesterday")
        await self.flow(self.ago(days=8), True, "a flow abandoned 8 days ago", finished=False)
        old = await self.flow(self.ago(days=8), True, "a flow finished 8 days ago (its void check goes with it)")
        await self.phone_check(old, self.ago(days=8), "void", True, "void")
        named = await self.flow(self.ago(days=8), False, "a flow of 8 days ago whose check a call names")
        await self.call(self.ago(days=8), await self.phone_check(named, self.ago(days=8), "matched", False, ""), False,
                        "a matched call of 8 days ago")
        called_long_ago = await self.flow(self.ago(days=40), True, "a flow of 40 days ago whose call goes first")
        await self.call(self.ago(days=40), await self.phone_check(called_long_ago, self.ago(days=40), "matched", False, ""),
                        True, "a matched call of 40 days ago")
        await self.call(self.ago(days=31), None, True, "an unmatched call of 31 days ago")
        waiting = await self.flow(self.ago(minutes=3), False, "a flow on screen ④ three minutes ago", finished=False)
        await self.phone_check(waiting, self.ago(minutes=1), "open", False, "an open check a minute past its window")
        late = await self.flow(self.ago(hours=26), False, "a flow of 26 hours ago", finished=False)
        await self.phone_check(late, self.ago(hours=23), "open", False, "an open check 23 hours past its window")
        await self.phone_check(late, self.ago(hours=25), "open", True, "an open check 25 hours past its window")

    async def throttles(self) -> None:
        for key, ends, goes in (("198.51.100.1", self.now + timedelta(minutes=5), False),
                                ("198.51.100.2", self.ago(hours=1), False), ("198.51.100.3", self.ago(hours=25), True)):
            await self.conn.execute(
                """INSERT INTO attempt_throttle (scope, key, window_start, window_ends_at, failures)
                   VALUES ('ip', $1, $2, $3, 4)""",
                key, ends - timedelta(minutes=10), ends,
            )
            self.note(Table.ATTEMPT_THROTTLE, key, goes, f"a throttle window ending at {ends}")

    async def staff_sessions(self) -> None:
        for seen, ended, goes in ((self.ago(minutes=1), False, False), (self.ago(days=6), True, False),
                                  (self.ago(days=8), False, True), (self.ago(days=9), True, True)):
            digest = os.urandom(32)
            await self.conn.execute(
                """INSERT INTO staff_session (session_digest, staff_id, created_at, last_seen_at, ended_at)
                   VALUES ($1, 'clerk', $2, $2, $3)""",
                digest, seen, seen if ended else None,
            )
            self.note(Table.STAFF_SESSION, digest, goes, f"a staff session last seen at {seen}")

    async def outbox(self) -> None:
        infinity = "infinity"
        for created, sent, given_up, goes in ((self.ago(days=29), True, False, False), (self.ago(days=31), True, False, True),
                                              (self.ago(days=31), False, True, True), (self.ago(days=31), False, False, False)):
            outbox_id = await self.conn.fetchval(
                f"""INSERT INTO email_outbox (to_address, subject, body, created_at, next_attempt_at, sent_at)
                    VALUES ('customer@example.jp', 's', 'b', $1, {"'" + infinity + "'" if given_up else '$1'}, $2) RETURNING id""",
                created, created if sent else None,
            )
            self.note(Table.EMAIL_OUTBOX, outbox_id, goes, f"a notice of {created}, sent {sent}, given up {given_up}")

    async def failures(self) -> None:
        today = self.now.date()
        for days, locked_until, goes in ((0, None, False), (1, self.ago(hours=10), False), (30, None, False),
                                         (31, self.ago(days=30), True), (40, self.now + timedelta(hours=1), False)):
            day = today - timedelta(days=days)
            await self.conn.execute(
                """INSERT INTO account_failure (account_id, kind, tokyo_day, failures, locked_at, locked_until)
                   VALUES ($1, 'identity', $2, 3, $3, $3)""",
                self.account_id, day, locked_until,
            )
            self.note(Table.ACCOUNT_FAILURE, f"{self.account_id}identity{day}", goes, f"failures of {day}")


async def build_world(conn: asyncpg.Connection | asyncpg.Pool, now: datetime) -> list[Case]:
    world = World(conn, now)
    await world.setup()
    for part in (world.tokens, world.single_use_ids, world.pushed_requests, world.flows_and_calls, world.throttles,
                 world.staff_sessions, world.outbox, world.failures):
        await part()
    return world.cases


async def survivors(conn: asyncpg.Connection | asyncpg.Pool) -> dict[Table, set[Any]]:
    """Per table, the keys still there (phone_check: still open)."""
    return {table: set(await described_rows(conn, table)) for table in Table}
