"""Registered clients as each process remembers them: authenticating a client costs no database round trip.

A resource server introspects on every call to the bank's API, so looking its
row up each time would cost /introspect the only round trip it has. A
client's row changes rarely (disabled, given a new secret or keys), and a
trigger (sql/0003_client_changes.sql) NOTIFYs ``renkei_client`` on any change,
whoever makes it (the console, the CLI, an operator's SQL): every process then
forgets that client. After the process's listening connection (server.db.listener)
was lost every client is forgotten, since NOTIFYs sent meanwhile are gone.

Only enabled clients are remembered; an unknown or disabled client_id is
looked up every time.
"""

from __future__ import annotations

import asyncpg

from server.db.clients import CHANGES_CHANNEL, get_client
from server.db.listener import Listener, Subscription

CACHE_SIZE = 1000  # far more clients than a bank registers; beyond this, lookups simply go to the database


class ClientCache:
    def __init__(self, hub: Listener, *, sandbox_apps: bool = True) -> None:
        self._hub = hub
        self._sandbox_apps = sandbox_apps  # false: production serves no sandbox app (settings.sandbox_apps_allowed)
        self._known: dict[str, asyncpg.Record] = {}
        # Bumped on every change notice: a lookup that raced a change is not remembered.
        self._generation = 0
        self.listener: Subscription | None = None

    async def start(self) -> None:
        self.listener = await self._hub.subscribe(CHANGES_CHANNEL, on_notify=self._changed, on_connect=self._forget_all)

    async def close(self) -> None:
        if self.listener is not None:
            await self.listener.close()

    def remembered(self, client_id: str) -> asyncpg.Record | None:
        return self._known.get(client_id)

    async def client(self, conn: asyncpg.Connection | asyncpg.Pool, client_id: str) -> asyncpg.Record | None:
        """The enabled client ``client_id``, or None; from memory when it was looked up before."""
        known = self._known.get(client_id)
        if known is not None:
            return known
        generation = self._generation
        client = await get_client(conn, client_id, sandbox_apps=self._sandbox_apps)
        if client is not None and generation == self._generation and len(self._known) < CACHE_SIZE:
            self._known[client_id] = client
        return client

    def _changed(self, client_id: str) -> None:
        self._generation += 1
        self._known.pop(client_id, None)
        if client_id == "*":  # TRUNCATE
            self._known.clear()

    async def _forget_all(self) -> None:
        self._generation += 1
        self._known.clear()
