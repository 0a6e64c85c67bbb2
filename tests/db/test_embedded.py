"""The embedded PostgreSQL: starts, keeps its data across restarts, stops without leftovers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from server.db.embedded import EmbeddedPostgres


@pytest.fixture
def pgdata() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="rk-e-"))
    yield root / "pg"
    shutil.rmtree(root, ignore_errors=True)


def _postgres_running(pgdata: Path) -> bool:
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        if proc.info["name"] == "postgres" and proc.info["status"] != psutil.STATUS_ZOMBIE and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            return True
    return False


async def test_it_starts_keeps_data_across_a_restart_and_stops_cleanly(pgdata: Path) -> None:
    server = EmbeddedPostgres(pgdata)
    conn = await asyncpg.connect(server.start())
    await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
    await conn.close()
    server.stop()
    assert not _postgres_running(pgdata)

    again = EmbeddedPostgres(pgdata)
    conn = await asyncpg.connect(again.start())
    assert await conn.fetchval("SELECT v FROM kept") == "still here"
    await conn.close()
    again.stop()
    assert not _postgres_running(pgdata)
    assert again.postmaster_pid() is None


def test_a_parent_killed_with_sigkill_does_not_leave_the_next_run_unable_to_stop(pgdata: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from server.db.embedded import EmbeddedPostgres\n"
        "EmbeddedPostgres(Path(sys.argv[1])).start()\n"
        "print('up', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(pgdata)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    while child.stdout.readline().strip() != "up":
        pass
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    assert _postgres_running(pgdata)  # the killed parent could not stop it
    assert child.pid in json.loads((pgdata / ".handle_pids.json").read_text())

    server = EmbeddedPostgres(pgdata)
    server.start()
    server.stop()
    deadline = time.monotonic() + 10
    while _postgres_running(pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _postgres_running(pgdata)
