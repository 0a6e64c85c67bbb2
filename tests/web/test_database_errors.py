"""Which errors mean "PostgreSQL is unreachable" (server.web.database.is_unreachable), each raised for real,
and the overload answer (S02) every JSON API gives in the same shape as an outage."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest

from server.web.database import is_unreachable
from tests.conftest import build_test_settings


async def _raised(action) -> BaseException:  # type: ignore[no-untyped-def]
    try:
        await action()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


async def test_connecting_where_no_server_listens_is_unreachable() -> None:
    with tempfile.TemporaryDirectory() as empty:
        error = await _raised(lambda: asyncpg.connect(host=empty, user="postgres", database="postgres"))
    assert isinstance(error, OSError) and is_unreachable(error)


async def test_an_os_error_of_our_own_is_not_the_database() -> None:
    error = await _raised(lambda: asyncio.to_thread(Path("no-such-file.pem").read_bytes))
    assert isinstance(error, OSError) and not is_unreachable(error)


async def test_a_session_terminated_by_the_server_is_unreachable(database_url: str) -> None:
    victim, killer = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await killer.execute("SELECT pg_terminate_backend($1)", victim.get_server_pid())
        await asyncio.sleep(0.1)
        first = await _raised(lambda: victim.fetchval("SELECT 1"))
        second = await _raised(lambda: victim.fetchval("SELECT 1"))
    finally:
        await killer.close()
        victim.terminate()
    assert is_unreachable(first) and is_unreachable(second)


async def test_a_write_refused_by_a_server_that_became_a_standby_is_unreachable(db: asyncpg.Pool) -> None:
    """After a switchover, a connection still on the old primary finds it read-only: not a bug, the primary moved."""
    async def write_on_a_standby() -> None:
        async with db.acquire() as conn, conn.transaction(readonly=True):  # what every write meets on a standby
            await conn.execute("CREATE TEMPORARY TABLE refused (n int)")

    error = await _raised(write_on_a_standby)
    assert isinstance(error, asyncpg.ReadOnlySQLTransactionError) and is_unreachable(error)


@pytest.mark.parametrize(("what", "sql"), [
    ("a syntax error", "SELEC 1"),
    ("a constraint or type error", "SELECT 1/0"),
    ("a statement cancelled by statement_timeout", "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)"),
], ids=["syntax", "division", "timeout"])
async def test_a_query_that_fails_is_not_an_outage(db: asyncpg.Pool, what: str, sql: str) -> None:
    async def run() -> None:
        async with db.acquire() as conn, conn.transaction():
            await conn.execute(sql)

    assert not is_unreachable(await _raised(run)), what


async def test_a_closed_pool_is_not_an_outage(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    await pool.close()
    error = await _raised(lambda: pool.fetchval("SELECT 1"))
    assert isinstance(error, asyncpg.InterfaceError) and not is_unreachable(error)


async def test_with_every_connection_busy_each_json_api_answers_503_temporarily_unavailable_not_a_page(
    start_server, database_url: str
) -> None:
    settings = build_test_settings(database_url)
    tight = replace(settings, database=replace(settings.database, pool_min=1, pool_max=1, acquire_timeout_seconds=0.2))
    server = await start_server(tight)
    form = {"token": "x" * 40, "grant_type": "refresh_token", "refresh_token": "x" * 40}
    async with server.runtime.pool.acquire(), httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        answers = [await http.post(path, data=form, auth=("nobody", "secret")) for path in ("/par", "/token", "/introspect", "/revoke")]
    for answer in answers:
        assert answer.status_code == 503 and answer.headers["content-type"] == "application/json"
        assert answer.json() == {"error": "temporarily_unavailable", "error_description": "busy, try again later"}
        assert answer.headers["retry-after"].isdigit() and answer.headers["cache-control"] == "no-store"
