"""Starting and stopping as an operator meets it: PostgreSQL out of reach, PostgreSQL late, a port in use.

PostgreSQL out of reach is one line naming host and port, exit 1, for `serve`
and every command that needs the database; a database that appears within
[database] connect_retry_seconds is simply waited for.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.bench_suite.wire import WireCounter
from server.settings import PROJECT_ROOT
from tests.cli.conftest import _clean_environment
from tests.conftest import free_port

DEMO_CSV = PROJECT_ROOT / "server" / "demo_customers.csv"
# Every command that reads or writes the database (keys and simulate-call need none).
COMMANDS = {
    "serve": ["serve", "--port", "0"],  # any free port
    "migrate": ["migrate"],
    "seed-demo": ["seed-demo"],
    "customers import": ["customers", "import", str(DEMO_CSV)],
    "clients add": ["clients", "add", "--kind", "resource-server", "--name", "残高照会API"],
    "staff add": ["staff", "add", "--id", "suzuki", "--branch", "001", "--role", "branch", "--password-stdin"],
    "locks show": ["locks", "show", "001-1-1234567"],
    "locks clear": ["locks", "clear", "001-1-1234567", "--reason", "本人確認済み"],
    "accounts move": ["accounts", "move", "001-1-1234567", "002-1-7654321"],
    "retention run": ["retention", "run"],
}


def _config(tmp_path: Path, cheap_config: Path, retry_seconds: float) -> Path:
    text = re.sub(r"(?m)^connect_retry_seconds = .*$", f"connect_retry_seconds = {retry_seconds}", cheap_config.read_text("utf-8"))
    path = tmp_path / "renkei.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _command(args: list[str], config: Path, database_url: str) -> subprocess.Popen[str]:
    env = {**_clean_environment(), "DATABASE_URL": database_url, "RENKEI_CONFIG": str(config), "RENKEI_ENV": "development"}
    return subprocess.Popen([sys.executable, "-m", "server.cli", *args], env=env, cwd=PROJECT_ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def nothing_listens() -> Iterator[int]:
    """A port where no PostgreSQL answers: bound, never listening, so no one else takes it meanwhile."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.mark.parametrize("name", COMMANDS)
def test_postgres_out_of_reach_is_one_line_and_exit_1(name: str, tmp_path: Path, cheap_config: Path, nothing_listens: int) -> None:
    config = _config(tmp_path, cheap_config, retry_seconds=0.5)
    process = _command(COMMANDS[name], config, f"postgresql://renkei@127.0.0.1:{nothing_listens}/renkei")
    out, err = process.communicate("a-long-enough-password\n", timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in err + out
    lines = [line for line in err.splitlines() if "database.waiting" not in line]  # serve's log says it waits
    assert lines == [f"Error: cannot reach PostgreSQL at 127.0.0.1:{nothing_listens}: connection refused"]


async def test_serve_waits_for_a_postgres_that_appears_within_the_retry_time(
        tmp_path: Path, cheap_config: Path, database_url: str, db) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    relay = WireCounter(database_url, port=free_port())  # PostgreSQL's port, closed until the relay starts
    process = _command(["serve", "--port", str(port)], _config(tmp_path, cheap_config, retry_seconds=30), relay.url())
    try:
        waiting = await asyncio.wait_for(asyncio.to_thread(_line_with, process, "database.waiting"), 30)
        assert "connection refused" in waiting and process.poll() is None  # still trying
        await relay.start()
        async with httpx.AsyncClient() as http, asyncio.timeout(30):
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(process.communicate, timeout=30)
        await relay.close()
    assert process.returncode == 0, err[-3000:]


def _line_with(process: subprocess.Popen[str], words: str) -> str:
    assert process.stderr is not None
    for line in process.stderr:
        if words in line:
            return line
    raise AssertionError(f"the command ended without saying {words!r}")


def test_a_port_in_use_fails_before_ready_and_names_the_option(tmp_path: Path, cheap_config: Path, database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _command(["serve", "--port", str(port)], cheap_config, database_url)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in err and "server.ready" not in err + out and "migration" not in err
    assert err.strip().splitlines() == [f"Error: cannot listen on 127.0.0.1:{port}: address already in use; "
                                        "choose another port with --port"]
