"""`renkei serve`: the README's first command, with one and with several workers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port


def _serve(env: dict[str, str], *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), *args],
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(proc: subprocess.Popen, url: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited early: {proc.stderr.read()[-3000:] if proc.stderr else ''}")
        try:
            return httpx.get(url + "/readyz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("serve did not answer within 60 s")


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    if proc.stderr:
        proc.stderr.close()
    return code


def _postgres_running(pgdata: Path) -> bool:
    return any(
        p.info["name"] == "postgres" and p.info["status"] != psutil.STATUS_ZOMBIE and str(pgdata) in " ".join(p.info["cmdline"] or [])
        for p in psutil.process_iter(["name", "cmdline", "status"])
    )


@pytest.fixture
def var_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="rk-v-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_serve_on_the_embedded_database_answers_ready_and_leaves_nothing_running(var_dir: Path) -> None:
    proc, url = _serve({"RENKEI_VAR_DIR": str(var_dir)}, "--workers", "1")
    try:
        assert _wait_ready(proc, url).json() == {"status": "ok", "database": "ok"}
    finally:
        assert _stop(proc) == 0
    assert not _postgres_running(var_dir / "pgdata")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stops_serve_with_status_0_and_stops_the_embedded_database(var_dir: Path, workers: str) -> None:
    """What systemd or a container runtime sends: the embedded PostgreSQL stops with the server, as on Ctrl-C."""
    proc, url = _serve({"RENKEI_VAR_DIR": str(var_dir)}, "--workers", workers)
    try:
        assert _wait_ready(proc, url).status_code == 200
        assert _postgres_running(var_dir / "pgdata")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        if proc.stderr:
            proc.stderr.close()
    assert not _postgres_running(var_dir / "pgdata")


def test_serve_with_two_workers_shares_one_database(database_url: str) -> None:
    proc, url = _serve({"DATABASE_URL": database_url}, "--workers", "2")
    try:
        assert _wait_ready(proc, url).status_code == 200
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True) if "python" in c.name()]
        assert len(workers) >= 2
        assert all(httpx.get(url + "/readyz").status_code == 200 for _ in range(10))
    finally:
        assert _stop(proc) == 0
