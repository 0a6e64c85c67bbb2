"""The one housekeeping loop of a server process: every ``retention.every_seconds``, a
retention round (server.retention) that deletes what nobody reads any more: used
single-use ids (DPoP proofs, client assertions), old tokens, codes, flows, calls,
throttle windows, staff sessions, sent notices, past failure counts.

Every process runs the loop; housekeeping's advisory lock lets one of them work
and the others skip the round. The round has its own connection straight to
PostgreSQL (the session lock would not survive a pooler in transaction mode),
opened for the round only. A failed round is logged; the next one tries again.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from server.logs import get_logger
from server.retention import Counts, run_round
from server.runtime import Runtime

log = get_logger(__name__)

APPLICATION_NAME = "renkei-housekeeping"  # how operators find it in pg_stat_activity
# A batch never queues the live system behind it for long, nor runs away.
SERVER_SETTINGS = {"application_name": APPLICATION_NAME, "lock_timeout": "5s", "statement_timeout": "60s"}
CONNECT_TIMEOUT = 10.0


async def housekeeping_round(runtime: Runtime) -> Counts | None:
    """One round on a connection of its own; None when another process was at it."""
    conn = await asyncpg.connect(runtime.database_url, server_settings=SERVER_SETTINGS, timeout=CONNECT_TIMEOUT)
    try:
        return await run_round(conn, runtime.settings, runtime.clock.now())
    finally:
        await conn.close(timeout=CONNECT_TIMEOUT)


async def keep_house(runtime: Runtime) -> None:
    while True:
        # First round after one interval: a restarting fleet does not all start with a round.
        await asyncio.sleep(runtime.settings.retention.every_seconds)
        try:
            await housekeeping_round(runtime)
        except Exception as error:  # the database hiccuped: the next round tries again
            log.warning("retention.round_failed", error=type(error).__name__)


async def start_housekeeping(runtime: Runtime) -> None:
    task = asyncio.create_task(keep_house(runtime), name="housekeeping")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    runtime.exit_stack.push_async_callback(stop)
