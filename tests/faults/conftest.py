"""A PostgreSQL of the test's own, to stop and start again under a running server."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from server.db.embedded import EmbeddedPostgres
from server.db.migrate import migrate
from server.settings import Settings
from tests.flow.walk import create_account, create_client, reason_of


class OwnDatabase:
    """An embedded PostgreSQL in a temporary directory; ``stop`` and ``start`` keep its data and its URL."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.server: EmbeddedPostgres | None = None
        self.url = ""

    def start(self) -> str:
        self.server = EmbeddedPostgres(self.pgdata)
        self.url = self.server.start()
        return self.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.url)


@pytest.fixture
async def own_database() -> AsyncIterator[OwnDatabase]:
    """Migrated and running. Ask for it before ``start_server``, so servers stop before it does."""
    # A short directory: the Unix socket's path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="rk-f-"))
    database = OwnDatabase(root / "pg")
    database.start()
    try:
        conn = await database.connect()
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield database
    finally:
        database.stop()
        shutil.rmtree(root, ignore_errors=True)


def assert_outage_page(response: httpx.Response) -> None:
    """S03 as a temporary unavailability, and the browser's cookies left alone."""
    assert response.status_code == 503, response.status_code
    assert reason_of(response.text) == "S03"
    assert "調整のため連絡ができなくなりました" in response.text
    assert response.headers["retry-after"].isdigit() and response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    assert "Traceback" not in response.text and "asyncpg" not in response.text


def assert_temporarily_unavailable(response: httpx.Response) -> None:
    """The JSON APIs' 503, the same at every endpoint."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"].isdigit() and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "temporarily_unavailable" and body["error_description"]
    assert set(body) == {"error", "error_description"}


def outage_warnings(log_lines: list[str]) -> list[dict]:
    lines = [line for line in log_lines if '"database.unreachable"' in line]
    return [entry for entry in map(json.loads, lines) if entry.get("event") == "database.unreachable"]


async def refused_so_far(http: httpx.AsyncClient) -> float:
    """``renkei_database_unreachable_total`` as /metrics shows it to an operator on this machine."""
    metrics = (await http.get("/metrics")).text
    values = [line.split()[-1] for line in metrics.splitlines() if line.startswith("renkei_database_unreachable_total ")]
    return float(values[0]) if values else 0.0


async def add_app_and_taro(own_database: OwnDatabase, settings: Settings):  # type: ignore[no-untyped-def]
    """The walk's app and Taro's account, written into the test's own database; Taro's account."""
    setup = await own_database.connect()
    try:
        await create_client(setup)
        return await create_account(setup, settings)
    finally:
        await setup.close()
