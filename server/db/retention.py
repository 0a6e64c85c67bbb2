"""Named SQL of housekeeping: what each table lets go (server.policy.retention), counted or deleted in batches.

Every batch is one statement in its own transaction: it picks at most ``limit``
rows through an index (sql/0004_retention.sql), skipping rows another
transaction holds (``FOR UPDATE SKIP LOCKED``, so the live system never waits
on housekeeping), and deletes them by ``ctid``. No lock or snapshot outlives a
batch. Times come from the application's clock, as parameters: SQL never
decides with now().

One process at a time works (a session advisory lock, on a connection straight
to PostgreSQL); deleting is harmless twice anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from server.policy.retention import Cutoffs, Table

# "RENKEI" + 4: housekeeping's advisory key (the migrations' is + 1).
LOCK_KEY = 0x52454E4B45490004


@dataclass(frozen=True)
class Rule:
    """``FROM`` (the table aliased ``t``), ``WHERE`` over it, and the cutoffs that fill $1, $2..."""

    source: str
    where: str
    params: tuple[str, ...]

    def values(self, cut: Cutoffs) -> list[datetime | date]:
        return [getattr(cut, name) for name in self.params]


# A grant "ended" when revoked or past its end (LEAST skips a NULL revoked_at).
_OF_ENDED_GRANT = "t.issued_at < $1 AND LEAST(g.revoked_at, g.expires_at) < $2"

RULES: dict[Table, Rule] = {
    Table.DPOP_PROOF: Rule("dpop_proof t", "t.forget_after < $1", ("now",)),
    Table.ACCESS_TOKEN: Rule("access_token t", "t.expires_at < $1", ("access_token_expired",)),
    Table.REFRESH_TOKEN: Rule(
        "refresh_token t JOIN oauth_grant g ON g.id = t.grant_id", _OF_ENDED_GRANT,
        ("issued_for_ended_grant", "grant_ended"),
    ),
    # Two rules in one: unused codes by expiry, used ones with their grant (each through its partial index).
    Table.AUTHORIZATION_CODE: Rule(
        "authorization_code t JOIN oauth_grant g ON g.id = t.grant_id",
        f"((t.used_at IS NULL AND t.expires_at < $3) OR (t.used_at IS NOT NULL AND {_OF_ENDED_GRANT}))",
        ("issued_for_ended_grant", "grant_ended", "request_expired"),
    ),
    Table.PAR_REQUEST: Rule("par_request t", "t.expires_at < $1", ("request_expired",)),
    Table.PHONE_CHECK: Rule("phone_check t", "t.state = 'open' AND t.expires_at < $1", ("late_call",)),
    Table.IVR_CALL: Rule("ivr_call t", "t.received_at < $1", ("ivr_call_received",)),
    # created_at <= last_seen_at: the bound on created_at only lets the index find the candidates. A call naming
    # one of the flow's phone checks keeps it (ivr_call's key), unless the call goes first in the same round.
    Table.FLOW: Rule(
        "flow t",
        """t.created_at < $1 AND t.last_seen_at < $1 AND (t.finished_at IS NULL OR t.finished_at < $1)
           AND NOT EXISTS (SELECT 1 FROM phone_check p JOIN ivr_call c ON c.phone_check_id = p.id
                           WHERE p.flow_id = t.id AND c.received_at >= $2)""",
        ("flow_seen", "ivr_call_received"),
    ),
    Table.ATTEMPT_THROTTLE: Rule("attempt_throttle t", "t.window_ends_at < $1", ("throttle_ended",)),
    # A small table (one row per staff sign-in): no index, so that every request's last_seen_at update stays HOT.
    Table.STAFF_SESSION: Rule("staff_session t", "t.last_seen_at < $1", ("staff_session_seen",)),
    Table.EMAIL_OUTBOX: Rule(
        "email_outbox t", "t.created_at < $1 AND (t.sent_at IS NOT NULL OR t.next_attempt_at = 'infinity')",
        ("outbox_created",),
    ),
    Table.ACCOUNT_FAILURE: Rule(
        "account_failure t", "t.tokyo_day < $1 AND (t.locked_until IS NULL OR t.locked_until <= $2)", ("failure_day", "now"),
    ),
}


def _batch_sql(table: Table, rule: Rule) -> str:
    limit = f"${len(rule.params) + 1}"
    chosen = f"SELECT t.ctid FROM {rule.source} WHERE {rule.where} LIMIT {limit} FOR UPDATE OF t SKIP LOCKED"
    if table is Table.PHONE_CHECK:  # an open check is voided (the webhook then treats a call as unknown), not deleted
        return f"UPDATE phone_check SET state = 'void' WHERE ctid = ANY(ARRAY({chosen})) AND state = 'open'"
    return f"DELETE FROM {table.value} WHERE ctid = ANY(ARRAY({chosen}))"


async def take_lock(conn: asyncpg.Connection) -> bool:
    """Become the one process doing housekeeping, until ``release_lock`` or the connection closes."""
    return await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)


async def release_lock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)


async def count_due(conn: asyncpg.Connection, table: Table, cut: Cutoffs) -> int:
    """How many rows of ``table`` a round would delete (void, for phone_check) now."""
    rule = RULES[table]
    return await conn.fetchval(f"SELECT count(*) FROM {rule.source} WHERE {rule.where}", *rule.values(cut))


async def delete_batch(conn: asyncpg.Connection, table: Table, cut: Cutoffs, limit: int) -> int:
    """Delete (void) at most ``limit`` due rows of ``table`` in one statement; how many."""
    rule = RULES[table]
    status = await conn.execute(_batch_sql(table, rule), *rule.values(cut), limit)
    return int(status.split()[-1])
