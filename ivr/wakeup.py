"""LISTEN/NOTIFY → the waiting screen: wake whoever waits for a flow the moment its call matches.

Each server process hears ``renkei_phone_check`` on its one listening
connection (server.db.listener). The webhook NOTIFYs the flow id
inside its matching transaction, so a call landing on any process wakes the
screen waiting on any other. A NOTIFY sent while the connection was down is
lost, so after every reconnect the hub asks the database which of its waiting
flows matched meanwhile, and wakes those: no match is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg

from server.db import phone_checks
from server.db.listener import Listener, Subscription


class Waiter:
    """One subscriber's view: ``await wait(timeout)`` → True once its flow has matched (or the process drains)."""

    def __init__(self, flow_id: str) -> None:
        self.flow_id = flow_id
        self._matched = asyncio.Event()

    def matched(self) -> None:
        self._matched.set()

    async def wait(self, timeout_seconds: float) -> bool:
        """True when woken (the flow's call matched, or the process drains); False when ``timeout_seconds`` passed first."""
        try:
            async with asyncio.timeout(max(timeout_seconds, 0)):
                await self._matched.wait()
        except TimeoutError:
            return False
        return True


class WakeupHub:
    """Per process: one subscription to the channel, any number of waiters."""

    def __init__(self, hub: Listener, pool: asyncpg.Pool) -> None:
        self._hub, self._pool = hub, pool
        self._waiters: dict[str, set[Waiter]] = {}
        self.listener: Subscription | None = None
        self._released = False

    async def start(self) -> None:
        self.listener = await self._hub.subscribe(phone_checks.CHANNEL, on_notify=self._wake, on_connect=self._catch_up)

    async def close(self) -> None:
        if self.listener is not None:
            await self.listener.close()

    @contextlib.asynccontextmanager
    async def subscribe(self, flow_id: UUID | str) -> AsyncIterator[Waiter]:
        """Wait for ``flow_id``'s match. Read the status inside the block, before waiting,
        so that a match landing between the read and the wait still wakes you."""
        waiter = Waiter(str(UUID(str(flow_id))))
        if self._released:
            waiter.matched()
        self._waiters.setdefault(waiter.flow_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            subscribers = self._waiters.get(waiter.flow_id, set())
            subscribers.discard(waiter)
            if not subscribers:
                self._waiters.pop(waiter.flow_id, None)

    def release_all(self) -> None:
        """The process drains: every waiter, now and later, returns at once (its stream re-reads and says reconnect)."""
        self._released = True
        for subscribers in self._waiters.values():
            for waiter in subscribers:
                waiter.matched()

    def _wake(self, flow_id: str) -> None:
        for waiter in self._waiters.get(flow_id, ()):
            waiter.matched()

    async def _catch_up(self) -> None:
        """Wake the waiters whose flow matched while no one was listening."""
        waiting = [UUID(flow_id) for flow_id in self._waiters]
        if waiting:
            for flow_id in await phone_checks.matched_flows(self._pool, waiting):
                self._wake(str(flow_id))
