"""One retention round: delete, table by table and in batches, what server.policy.retention lets go.

Used by the background housekeeping of every server process (server.oauth.housekeeping)
and by ``renkei retention run``. Only the process holding housekeeping's advisory
lock works; the others skip the round.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from server.db import retention as sql
from server.logs import get_logger
from server.metrics import RETENTION_ROUNDS, RETENTION_ROWS
from server.policy.retention import Cutoffs, Table, cutoffs
from server.settings import Settings

log = get_logger(__name__)

Counts = dict[Table, int]


def cutoffs_for(settings: Settings, now: datetime) -> Cutoffs:
    return cutoffs(settings.retention, settings.policy, settings.staff, now)


async def run_round(conn: asyncpg.Connection, settings: Settings, now: datetime, *, dry_run: bool = False) -> Counts | None:
    """Rows deleted per table (with ``dry_run``: that would be, nothing changed); None if another process is at it."""
    cut = cutoffs_for(settings, now)
    if dry_run:
        return {table: await sql.count_due(conn, table, cut) for table in Table}
    if not await sql.take_lock(conn):
        RETENTION_ROUNDS.labels(result="skipped").inc()
        return None
    try:
        counts = {table: await _drain(conn, table, cut, settings.retention.batch_size) for table in Table}
    except Exception:
        RETENTION_ROUNDS.labels(result="failed").inc()
        raise
    finally:
        if not conn.is_closed():  # a lost connection has let the lock go with it
            await sql.release_lock(conn)
    RETENTION_ROUNDS.labels(result="done").inc()
    if any(counts.values()):
        log.info("retention.round", **{table.value: n for table, n in counts.items() if n})
    return counts


async def _drain(conn: asyncpg.Connection, table: Table, cut: Cutoffs, batch_size: int) -> int:
    """Batches until one comes back short; each is counted as soon as it is committed."""
    total = 0
    while True:
        done = await sql.delete_batch(conn, table, cut, batch_size)
        total += done
        RETENTION_ROWS.labels(table=table.value).inc(done)
        if done < batch_size:
            return total
