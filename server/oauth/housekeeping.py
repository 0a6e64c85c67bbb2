"""Background upkeep of the token side: forget single-use ids (DPoP proofs, client
assertions) once they could no longer be presented anyway."""

from __future__ import annotations

import asyncio
import contextlib

from server.db import tokens
from server.logs import get_logger
from server.runtime import Runtime

log = get_logger(__name__)

EVERY_SECONDS = 600.0


async def forget_used_ids(runtime: Runtime) -> None:
    while True:
        try:
            forgotten = await tokens.forget_single_use_ids(runtime.pool, runtime.clock.now())
            log.debug("single_use_ids.forgotten", count=forgotten)
        except Exception as error:  # the database hiccuped: try again next round
            log.warning("single_use_ids.forget_failed", error=type(error).__name__)
        await asyncio.sleep(EVERY_SECONDS)


async def start_housekeeping(runtime: Runtime) -> None:
    task = asyncio.create_task(forget_used_ids(runtime), name="oauth:housekeeping")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    runtime.exit_stack.push_async_callback(stop)
