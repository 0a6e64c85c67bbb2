"""Reaching PostgreSQL at start: try again with backoff for a while, then say in one line why not.

A process manager often starts Renkei beside its database, or restarts both: a
few seconds' wait for PostgreSQL is normal and not worth an error. Past
``[database] connect_retry_seconds`` the operator gets one line naming the host
and port and the reason, never a traceback.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import asyncpg

from server.logs import get_logger

T = TypeVar("T")
FIRST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS = 0.1, 2.0

log = get_logger(__name__)


class DatabaseUnreachable(Exception):
    """PostgreSQL could not be reached (or refused us); the message is the one line to show."""


def where(url: str) -> str:
    """HOST:PORT of a PostgreSQL URL (or the socket folder of a Unix-socket one), without user or password."""
    parts = urlsplit(url)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    if socket_dir.startswith("/"):
        return socket_dir
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    return f"{parts.hostname or 'localhost'}:{port}"


def why(error: BaseException) -> str:
    """The reason in a few words, as an operator reads it."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "unknown host"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, FileNotFoundError):
        return "no server socket there"
    if isinstance(error, asyncpg.CannotConnectNowError):
        return "the server is starting up or shutting down"
    return (str(error).splitlines() or [type(error).__name__])[0]


# Worth another try: nothing answers yet, or PostgreSQL is still starting.
_PASSING = (OSError, asyncpg.CannotConnectNowError, asyncpg.exceptions.PostgresConnectionError)


async def with_retry(connect: Callable[[], Awaitable[T]], url: str, retry_seconds: float) -> T:
    """``await connect()``, tried again with doubling pauses while PostgreSQL cannot be reached, up to ``retry_seconds``."""
    deadline, pause = time.monotonic() + retry_seconds, FIRST_PAUSE_SECONDS
    while True:
        try:
            return await connect()
        except _PASSING as error:
            if time.monotonic() + pause > deadline:
                raise DatabaseUnreachable(f"cannot reach PostgreSQL at {where(url)}: {why(error)}") from None
            # One notice, not one per try; named apart from database.unreachable, a request refused while serving.
            if pause == FIRST_PAUSE_SECONDS:
                log.info("database.waiting", at=where(url), reason=why(error), retrying_for_seconds=retry_seconds)
        except asyncpg.PostgresError as error:  # reached, but refused: a wrong password or database name
            raise DatabaseUnreachable(f"PostgreSQL at {where(url)} refused the connection: {why(error)}") from None
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
