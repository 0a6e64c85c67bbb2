"""One dedicated connection per process, LISTENing on every channel its subscribers ask for.

Revocations, clients, maintenance windows, the wait screens' wake-ups and the
mail outbox each subscribe to a channel of this one hub, so a process holds a
single session connection for LISTEN whatever it hears (behind PgBouncer in
transaction mode that connection goes straight to PostgreSQL). It is not one of
the pool's, so listening never costs a request its connection.

A NOTIFY sent while the connection is down is lost for good, so after every
(re)connect each subscriber's ``on_connect`` runs: it reloads whatever its
channel tells it about. A subscriber that raises is logged and, for
``on_connect``, retried with back-off; the hub and the other subscribers go on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg

from server.logs import get_logger
from server.metrics import LISTEN_CONNECTED, LISTEN_RECONNECTS

log = get_logger(__name__)

APPLICATION_NAME = "renkei-listener"  # how operators (and tests) find it in pg_stat_activity
# Reconnect and catch-up back-off: 0.5 s doubling to 30 s, so a restarting database is not hammered.
_FIRST_DELAY, _MAX_DELAY = 0.5, 30.0
# A connection that died without a FIN (a cut network) shows only when used.
_PING_SECONDS, _PING_TIMEOUT = 20.0, 5.0
# A reload that hangs counts as failed (and is retried) rather than holding the others up.
_CATCH_UP_TIMEOUT = 30.0


class Subscription:
    """One subscriber's channel and callbacks; ``close()`` and it hears nothing more."""

    def __init__(
        self, hub: Listener, channel: str, on_notify: Callable[[str], None], on_connect: Callable[[], Awaitable[None]]
    ) -> None:
        self.hub, self.channel = hub, channel
        self.on_notify, self.on_connect = on_notify, on_connect
        self.ready = asyncio.Event()  # on_connect has succeeded at least once
        # How many (re)connections this subscriber has caught up with; for tests and logs.
        self.connections = 0
        self._retry: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await self.hub.unsubscribe(self)

    def notify(self, payload: str) -> None:
        try:
            self.on_notify(payload)
        except Exception as error:  # one subscriber's bug must not silence the others
            log.error("listener.subscriber_failed", channel=self.channel, error=type(error).__name__)

    async def catch_up(self) -> None:
        """Run ``on_connect`` after a (re)connect; if it fails, keep retrying in the background."""
        self.stop_retrying()
        if not await self._attempt():
            self._retry = asyncio.create_task(self._retry_until_caught_up(), name=f"listen-catch-up:{self.channel}")

    def stop_retrying(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None

    async def _retry_until_caught_up(self) -> None:
        delay = _FIRST_DELAY
        while True:
            await asyncio.sleep(delay)
            if await self._attempt():
                return
            delay = min(delay * 2, _MAX_DELAY)

    async def _attempt(self) -> bool:
        try:
            async with asyncio.timeout(_CATCH_UP_TIMEOUT):
                await self.on_connect()
        except Exception as error:  # stale until it succeeds, so it is retried
            log.error("listener.catch_up_failed", channel=self.channel, error=type(error).__name__)
            return False
        self.connections += 1
        self.ready.set()
        return True


class Listener:
    """The process's hub: ``start()``, then ``subscribe()`` per channel (before or after start), ``close()``."""

    def __init__(self, url: str, *, application_name: str = APPLICATION_NAME) -> None:
        self.url, self.application_name = url, application_name
        self.connections = 0  # how many times it has (re)connected; for tests and logs
        self.subscriptions: list[Subscription] = []
        self._conn: asyncpg.Connection | None = None  # set while connected and listening
        self._channels: set[str] = set()  # LISTENed on the current connection
        self._lock = asyncio.Lock()  # one command at a time on the connection
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 10.0) -> None:
        """Connect and run every subscriber's ``on_connect`` before returning; keep listening in the background."""
        self._task = asyncio.create_task(self._run(), name="listen")
        try:
            await self._until_ready(list(self.subscriptions), timeout)
        except TimeoutError:
            await self.close()
            raise

    async def subscribe(
        self, channel: str, *, on_notify: Callable[[str], None], on_connect: Callable[[], Awaitable[None]],
        timeout: float = 10.0,
    ) -> Subscription:
        """Hear ``channel`` too. Once the hub has started, returns after ``on_connect`` has run."""
        subscription = Subscription(self, channel, on_notify, on_connect)
        async with self._lock:
            self.subscriptions.append(subscription)
            joined = self._conn is not None and await self._join(self._conn, channel)
        if joined:  # otherwise the coming (re)connect listens and catches it up
            await subscription.catch_up()
        if self._task is not None:
            try:
                await self._until_ready([subscription], timeout)
            except TimeoutError:
                await self.unsubscribe(subscription)
                raise
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        subscription.stop_retrying()
        async with self._lock:
            if subscription not in self.subscriptions:
                return
            self.subscriptions.remove(subscription)
            if self._conn is None or any(s.channel == subscription.channel for s in self.subscriptions):
                return
            self._channels.discard(subscription.channel)
            with contextlib.suppress(Exception):  # a broken connection listens on nothing anyway
                await self._conn.remove_listener(subscription.channel, self._notified)

    @property
    def listening(self) -> bool:
        """Connected, with every subscribed channel LISTENed (or joining)."""
        return self._conn is not None

    async def listening_channels(self) -> list[str]:
        """What the connection LISTENs on, as PostgreSQL says (pg_listening_channels); [] when down."""
        async with self._lock:
            if self._conn is None:
                return []
            return sorted(await self._conn.fetchval("SELECT array_agg(c) FROM pg_listening_channels() AS c") or [])

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _until_ready(self, subscriptions: list[Subscription], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()
            for subscription in subscriptions:
                await subscription.ready.wait()

    async def _run(self) -> None:
        delay = _FIRST_DELAY
        try:
            while True:
                try:
                    await self._listen_until_lost()
                    delay = _FIRST_DELAY
                except Exception as error:  # whatever broke, listening must resume
                    log.warning("listener.lost", error=type(error).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
        finally:
            for subscription in self.subscriptions:
                subscription.stop_retrying()

    async def _listen_until_lost(self) -> None:
        conn = await asyncpg.connect(self.url, server_settings={"application_name": self.application_name})
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            subscriptions = await self._listen_on(conn)
            # After LISTEN, so that a change made meanwhile is either reloaded or notified.
            await asyncio.gather(*(subscription.catch_up() for subscription in subscriptions))
            self.connections += 1
            self._connected.set()
            LISTEN_CONNECTED.set(1)
            LISTEN_RECONNECTS.inc()
            log.info("listener.connected", channels=sorted(self._channels), connections=self.connections)
            await self._ping_until(conn, lost)
            log.warning("listener.lost", error="terminated")
        finally:
            self._conn = None
            LISTEN_CONNECTED.set(0)
            conn.terminate()

    async def _listen_on(self, conn: asyncpg.Connection) -> list[Subscription]:
        """LISTEN on every subscribed channel; those subscribed from now on join the live connection."""
        async with self._lock:
            self._channels = set()
            for channel in {subscription.channel for subscription in self.subscriptions}:
                await conn.add_listener(channel, self._notified)
                self._channels.add(channel)
            self._conn = conn
            return list(self.subscriptions)

    async def _join(self, conn: asyncpg.Connection, channel: str) -> bool:
        """LISTEN on ``channel`` on the live connection; False when that connection has just broken."""
        if channel in self._channels:
            return True
        try:
            await conn.add_listener(channel, self._notified)
        except Exception as error:  # lost meanwhile: the reconnect will listen
            log.warning("listener.join_failed", channel=channel, error=type(error).__name__)
            return False
        self._channels.add(channel)
        return True

    async def _ping_until(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), _PING_SECONDS)
            if not lost.is_set():
                async with self._lock:
                    await conn.fetchval("SELECT 1", timeout=_PING_TIMEOUT)

    def _notified(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        for subscription in [s for s in self.subscriptions if s.channel == channel]:
            subscription.notify(payload)
