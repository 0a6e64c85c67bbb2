"""The waiting screen wakes the moment its call matches, whichever server process took the call."""

from __future__ import annotations

import asyncio

import asyncpg

from ivr.checks import watch_phone_check
from server.clock import FrozenClock
from server.db.listener import APPLICATION_NAME
from tests.ivr.conftest import TARO, OpenCheck, Ring

LISTENER_NAME = APPLICATION_NAME


async def test_a_match_made_on_another_server_wakes_the_waiter_at_once(
    start_server, settings, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    screen_side, call_side = await start_server(settings), await start_server(settings)
    waiting = await open_check([TARO])
    async with screen_side.runtime.extras["wakeup"].subscribe(waiting.flow_id) as waiter:
        assert await waiter.wait(0.2) is False  # nothing yet
        await ring(call_side, TARO, waiting.check.auth_number)
        assert await waiter.wait(5) is True


async def test_a_call_for_another_flow_does_not_wake_the_waiter(server, open_check: OpenCheck, ring: Ring) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = await open_check([TARO]), await open_check(["+818099998888"])
    async with server.runtime.extras["wakeup"].subscribe(mine.flow_id) as waiter:
        await ring(server, "+818099998888", theirs.check.auth_number)
        assert await waiter.wait(0.3) is False


async def test_waiting_for_the_phone_check_returns_matched_waiting_or_expired(
    start_server, settings, clock: FrozenClock, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    screen_side, call_side = await start_server(settings), await start_server(settings)
    waiting = await open_check([TARO])
    assert (await watch_phone_check(screen_side.runtime, waiting.flow_id, 0.1)).status == "waiting"
    answered = asyncio.create_task(watch_phone_check(screen_side.runtime, waiting.flow_id, 10))
    await asyncio.sleep(0.05)  # let the waiter subscribe first
    await ring(call_side, TARO, waiting.check.auth_number)
    assert (await asyncio.wait_for(answered, 5)).status == "matched"
    late = await open_check(["+818099998888"])
    clock.advance(seconds=121)
    assert (await watch_phone_check(screen_side.runtime, late.flow_id, 10)).status == "expired"


async def _drop_listening_connection(db: asyncpg.Pool) -> int:
    return await db.fetchval(
        """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
           WHERE application_name = $1 AND datname = current_database()""",
        LISTENER_NAME,
    )


async def _until(condition, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


async def test_after_its_connection_is_terminated_the_hub_reconnects_and_a_match_still_wakes_the_waiter(
    server, db: asyncpg.Pool, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    hub = server.runtime.extras["wakeup"]
    before = hub.listener.connections
    assert await _drop_listening_connection(db) == 1
    await _until(lambda: hub.listener.connections > before)
    waiting = await open_check([TARO])
    async with hub.subscribe(waiting.flow_id) as waiter:
        await ring(server, TARO, waiting.check.auth_number)
        assert await waiter.wait(5) is True


async def test_a_match_made_while_the_hub_was_disconnected_still_wakes_the_waiter(
    server, db: asyncpg.Pool, open_check: OpenCheck, ring: Ring,
) -> None:  # type: ignore[no-untyped-def]
    hub = server.runtime.extras["wakeup"]
    waiting = await open_check([TARO])
    async with hub.subscribe(waiting.flow_id) as waiter:
        before = hub.listener.connections
        assert await _drop_listening_connection(db) == 1
        await ring(server, TARO, waiting.check.auth_number)  # its NOTIFY reaches no one
        assert hub.listener.connections == before  # still reconnecting: the notice was lost
        assert await waiter.wait(10) is True
