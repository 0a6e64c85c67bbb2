"""A database connection for one request; S02 when none comes in time, and which errors mean PostgreSQL is unreachable."""

from __future__ import annotations

import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from asyncpg import exceptions as pg

from server.metrics import DB_POOL_IN_USE, DB_POOL_TIMEOUTS, DB_POOL_WAIT
from server.runtime import Runtime


class Busy(Exception):
    """No connection within settings.database.acquire_timeout_seconds: the service is overloaded (S02)."""


class NotAnswering(Exception):
    """No connection within the acquire timeout because PostgreSQL did not answer a new one: unreachable (S03)."""


# What PostgreSQL or the driver says when the server is down, restarting or gone
# from under a connection. Seen by stopping the embedded server in
# tests/faults/test_database_outage.py: a pooled connection fails its next query
# with ConnectionDoesNotExistError, one that noticed first with InterfaceError
# "connection is closed", and new connections fail with OSError (the socket file
# is gone, or nothing listens: ConnectionRefusedError).
UNREACHABLE_SERVER_ERRORS: tuple[type[Exception], ...] = (
    NotAnswering,
    pg.PostgresConnectionError,  # class 08: ConnectionDoesNotExistError, ConnectionFailureError, ...
    pg.CannotConnectNowError,  # 57P03: starting up or shutting down
    pg.AdminShutdownError,  # 57P01: terminated by a shutdown or pg_terminate_backend
    pg.CrashShutdownError,  # 57P02: another backend crashed, every session is dropped
    # 25006: the server reached is a standby now (a switchover demoted it, and for up to two seconds
    # the app host's router may still lead new connections to it: deploy/haproxy/renkei-postgres.cfg).
    pg.ReadOnlySQLTransactionError,
)
# Every type an outage can surface as; is_unreachable decides for each error.
UNREACHABLE_ERROR_TYPES: tuple[type[Exception], ...] = (
    *UNREACHABLE_SERVER_ERRORS, pg.InterfaceError, pg.InternalClientError, OSError)

# PostgreSQL ends a session it shuts down (a switchover, a restart) with a FATAL
# message, then closes it. An idle pooled connection that has the message but not
# yet the close is still discarding up to a ReadyForQuery that never comes
# (asyncpg's protocol state 2, PROTOCOL_ERROR_CONSUME), and refuses the next
# statement with this. tests/faults/test_primary_lost.py meets it for real.
_SESSION_ENDED_BY_THE_SERVER = "another operation (2) is in progress"


def is_unreachable(error: BaseException) -> bool:
    """True when ``error`` means PostgreSQL cannot be reached now, not that a query or our code is wrong.

    ``pool is closing`` is not an outage (the process is stopping or a bug
    closed it); an OSError counts only when the driver raised it, so a broken
    file or socket of our own stays a server error.
    """
    if isinstance(error, UNREACHABLE_SERVER_ERRORS):
        return True
    if isinstance(error, pg.InterfaceError):
        return "connection is closed" in str(error)
    if isinstance(error, pg.InternalClientError):
        return _SESSION_ENDED_BY_THE_SERVER in str(error)
    if isinstance(error, OSError):
        return _raised_inside_the_driver(error)
    return False


def _raised_inside_the_driver(error: BaseException) -> bool:
    return any(frame.f_globals.get("__name__", "").startswith("asyncpg.")
               for frame, _ in traceback.walk_tb(error.__traceback__))


@asynccontextmanager
async def connection(runtime: Runtime) -> AsyncIterator[asyncpg.Connection]:
    asked = time.perf_counter()
    try:
        conn = await runtime.pool.acquire(timeout=runtime.settings.database.acquire_timeout_seconds)
    except TimeoutError:
        if runtime.pool.opening_stalled_since(asked):
            raise NotAnswering() from None
        DB_POOL_TIMEOUTS.inc()
        raise Busy() from None
    except pg.TooManyConnectionsError:
        # PostgreSQL's max_connections: reachable, but overloaded.
        DB_POOL_TIMEOUTS.inc()
        raise Busy() from None
    DB_POOL_WAIT.observe(time.perf_counter() - asked)
    DB_POOL_IN_USE.inc()
    try:
        yield conn
    finally:
        DB_POOL_IN_USE.dec()
        await runtime.pool.release(conn)
