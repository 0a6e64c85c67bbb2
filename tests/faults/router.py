"""What an app host's PostgreSQL router does when the primary is lost, on loopback.

deploy/haproxy/renkei-postgres.cfg leads 127.0.0.1:5432 to the current
primary. Once the primary's host is gone it closes every session
(``on-marked-down shutdown-sessions``) and, until a standby is promoted,
accepts new connections and leaves them unanswered in its queue. The
rehearsal (tests/cluster) runs the real HAProxy; this relay does the same in
front of the test's own PostgreSQL, so that the server's side of it can be
tested in seconds.
"""

from __future__ import annotations

import asyncio

from scripts.bench_suite.wire import WireCounter


class PrimaryRouter(WireCounter):
    """A relay to PostgreSQL whose primary can be lost (sessions cut, new ones held) and come back."""

    def __init__(self, upstream_url: str, *, close_delay: float = 0) -> None:
        super().__init__(upstream_url)
        # A session PostgreSQL ends reaches the client as its last message (FATAL) and then the close; under
        # load a router's close can come a moment after the message. close_delay widens that moment.
        self.close_delay = close_delay
        self._primary_up = asyncio.Event()
        self._primary_up.set()
        self._sessions: set[asyncio.Task] = set()

    def lose_primary(self) -> None:
        self._primary_up.clear()
        for session in self._sessions:
            session.cancel()

    def primary_back(self) -> None:
        self._primary_up.set()

    async def close(self) -> None:
        self.lose_primary()
        await super().close()

    async def _server_closed(self) -> None:
        await asyncio.sleep(self.close_delay)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        session = asyncio.current_task()
        assert session is not None
        self._sessions.add(session)
        try:
            await self._primary_up.wait()  # queued, unanswered
            await super()._relay(client_reader, client_writer)
        except asyncio.CancelledError:
            pass  # cut, as the router cuts a lost primary's sessions
        finally:
            self._sessions.discard(session)
            client_writer.close()
