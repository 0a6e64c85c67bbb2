"""A PostgreSQL wire-protocol relay that counts round trips and bytes.

Renkei (or the baseline) connects to the relay instead of PostgreSQL; the relay
forwards every byte and counts, in what the client sends, each Sync and each
simple Query message: one round trip each (asyncpg sends Bind/Execute/Sync
together). That is how the benchmark proves what a request costs the
database, without an extension in the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit, urlunsplit

_UNTYPED_PREAMBLES = {80877103, 80877104}  # SSLRequest, GSSENCRequest: another startup message follows
_ROUND_TRIP_TYPES = {ord("S"), ord("Q")}  # Sync, Query


@dataclass
class Counts:
    round_trips: int = 0
    bytes_to_server: int = 0
    bytes_to_client: int = 0
    named_statements: int = 0  # Parse messages naming the statement (kept by the server for the session)
    listens: int = 0  # LISTEN commands (they need a session connection, not a pooler's)

    def copy(self) -> Counts:
        return Counts(**vars(self))

    def minus(self, other: Counts) -> Counts:
        return Counts(**{name: value - getattr(other, name) for name, value in vars(self).items()})


@dataclass
class _ClientStream:
    """Splits what one client sends into messages and counts the round-trip ones."""

    counts: Counts
    buffer: bytearray = field(default_factory=bytearray)
    started: bool = False

    def feed(self, data: bytes) -> None:
        self.counts.bytes_to_server += len(data)
        self.buffer += data
        while True:
            if not self.started:
                if len(self.buffer) < 8:
                    return
                length, code = struct.unpack("!II", self.buffer[:8])
                if len(self.buffer) < length:
                    return
                del self.buffer[:length]
                self.started = code not in _UNTYPED_PREAMBLES
                continue
            if len(self.buffer) < 5:
                return
            kind, length = self.buffer[0], struct.unpack("!I", self.buffer[1:5])[0]
            if len(self.buffer) < 1 + length:
                return
            payload = bytes(self.buffer[5 : 1 + length])
            del self.buffer[: 1 + length]
            self._count(kind, payload)

    def _count(self, kind: int, payload: bytes) -> None:
        if kind in _ROUND_TRIP_TYPES:
            self.counts.round_trips += 1
        if kind == ord("P") and payload[:1] != b"\0":
            self.counts.named_statements += 1
        if kind == ord("Q") and payload.lstrip().upper().startswith(b"LISTEN"):
            self.counts.listens += 1


class WireCounter:
    """Listens on 127.0.0.1; ``url_for(database_url)`` is the URL that goes through it."""

    def __init__(self, upstream_url: str, *, port: int = 0) -> None:
        self.upstream_url = upstream_url
        self.counts = Counts()
        self._server: asyncio.Server | None = None
        self.port = port  # 0: any free one, known after start()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def url(self) -> str:
        """The upstream URL, but through the relay (plain TCP: the relay must read the messages)."""
        parts = urlsplit(self.upstream_url)
        user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if k not in ("host", "port", "sslmode")}
        query["sslmode"] = "disable"
        return urlunsplit((parts.scheme, f"{user}127.0.0.1:{self.port}", parts.path, "&".join(f"{k}={v}" for k, v in query.items()), ""))

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(self.upstream_url)
        socket_dir = parse_qs(parts.query).get("host", [None])[0]
        port = parts.port or int(parse_qs(parts.query).get("port", ["5432"])[0])
        if socket_dir and socket_dir.startswith("/"):
            return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{port}")
        return await asyncio.open_connection(parts.hostname or "127.0.0.1", port)

    async def _server_closed(self) -> None:
        """Called when PostgreSQL closed a session, before the relay closes the client's side; a subclass may wait here."""

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await self._open_upstream()
        stream = _ClientStream(self.counts)

        async def to_server() -> None:
            while data := await client_reader.read(65536):
                stream.feed(data)
                server_writer.write(data)
                await server_writer.drain()

        async def to_client() -> None:
            while data := await server_reader.read(65536):
                self.counts.bytes_to_client += len(data)
                client_writer.write(data)
                await client_writer.drain()
            await self._server_closed()

        directions = [asyncio.ensure_future(to_server()), asyncio.ensure_future(to_client())]
        try:
            await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass  # the relay is closing: end this connection quietly
        finally:
            for direction in directions:
                direction.cancel()
            await asyncio.gather(*directions, return_exceptions=True)
            for writer in (client_writer, server_writer):
                writer.close()
