"""One dedicated connection LISTENing on a channel for as long as the process lives.

A NOTIFY sent while the connection is down is lost for good, so after every
(re)connect ``on_connect`` runs: callers reload whatever the channel tells them
about. The connection is not one of the pool's, so listening never costs a
request its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg

from server.logs import get_logger

log = get_logger(__name__)

# Reconnect back-off: 0.5 s doubling to 30 s, so a restarting database is not hammered.
_FIRST_DELAY, _MAX_DELAY = 0.5, 30.0
# A connection that died without a FIN (a cut network) shows only when used.
_PING_SECONDS, _PING_TIMEOUT = 20.0, 5.0


class Listener:
    def __init__(
        self,
        url: str,
        channel: str,
        *,
        on_notify: Callable[[str], None],
        on_connect: Callable[[], Awaitable[None]],
    ) -> None:
        self.url, self.channel = url, channel
        self.on_notify, self.on_connect = on_notify, on_connect
        self.connections = 0  # how many times it has (re)connected; for tests and logs
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 10.0) -> None:
        """Connect and run ``on_connect`` once before returning; keep listening in the background."""
        self._task = asyncio.create_task(self._run(), name=f"listen:{self.channel}")
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            await self.close()
            raise

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = _FIRST_DELAY
        while True:
            try:
                await self._listen_until_lost()
                delay = _FIRST_DELAY
            except Exception as error:  # whatever broke, listening must resume
                log.warning("listener.lost", channel=self.channel, error=type(error).__name__, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)

    async def _listen_until_lost(self) -> None:
        conn = await asyncpg.connect(self.url, server_settings={"application_name": f"renkei-listen-{self.channel}"})
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(self.channel, self._notified)
            # After LISTEN, so that a change made meanwhile is either reloaded or notified.
            await self.on_connect()
            self.connections += 1
            self._connected.set()
            log.info("listener.connected", channel=self.channel, connections=self.connections)
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), _PING_SECONDS)
                if not lost.is_set():
                    await conn.fetchval("SELECT 1", timeout=_PING_TIMEOUT)
            log.warning("listener.lost", channel=self.channel, error="terminated")
        finally:
            conn.terminate()

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.on_notify(payload)
