"""Server processes under test: `renkei serve --workers N` and the baseline, with their peak RSS.

Each is started in its own process group, so stopping it stops its workers and
their argon2 helpers too, whatever happens to the benchmark.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench_suite.paths import ROOT, VENV_BIN

SAMPLE_SECONDS = 0.25


class RssSampler(threading.Thread):
    """Peak resident memory of every process in a tree, sampled a few times a second."""

    def __init__(self, root_pid: int, workers: int) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.workers = root_pid, workers
        self.peaks: dict[int, tuple[str, int]] = {}  # pid -> (role, peak bytes)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(SAMPLE_SECONDS):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(2)

    def sample(self) -> None:
        try:
            root = psutil.Process(self.root_pid)
            tree = [(root, 0)] + [(child, _depth(child, self.root_pid)) for child in root.children(recursive=True)]
        except psutil.Error:
            return
        for process, depth in tree:
            try:
                role = _role(process, depth, self.workers)
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            if role:
                previous = self.peaks.get(process.pid, (role, 0))[1]
                self.peaks[process.pid] = (role, max(previous, rss))

    def peak_by_role(self) -> dict[str, int]:
        """The largest peak among the processes of each role (supervisor, worker, argon2 helper)."""
        peaks: dict[str, int] = {}
        for role, rss in self.peaks.values():
            peaks[role] = max(peaks.get(role, 0), rss)
        return peaks


def _depth(process: psutil.Process, root_pid: int) -> int:
    depth, current = 0, process
    while current is not None and current.pid != root_pid:
        current, depth = current.parent(), depth + 1
    return depth


def _role(process: psutil.Process, depth: int, workers: int) -> str | None:
    """With one worker uvicorn serves in the main process; with more, the main process supervises."""
    if "resource_tracker" in " ".join(process.cmdline()):
        return None
    server_depth = 0 if workers == 1 else 1
    if depth == server_depth:
        return "worker"
    if depth < server_depth:
        return "supervisor"
    return "argon2 helper"


@dataclass
class Server:
    name: str
    url: str
    workers: int
    popen: subprocess.Popen[bytes]
    log_path: Path
    sampler: RssSampler = field(init=False)

    def __post_init__(self) -> None:
        self.sampler = RssSampler(self.popen.pid, self.workers)
        self.sampler.start()

    def worker_pids(self) -> list[int]:
        return [pid for pid, (role, _) in self.sampler.peaks.items() if role == "worker"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(name: str, command: list[str], *, env: dict[str, str], port: int, workers: int, log_dir: Path) -> Server:
    log_path = log_dir / f"{name}-{workers}w.log"
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, f"http://127.0.0.1:{port}", workers, popen, log_path)


def start_renkei(env: dict[str, str], *, port: int, workers: int, log_dir: Path) -> Server:
    command = [str(VENV_BIN / "renkei"), "serve", "--port", str(port), "--workers", str(workers)]
    return start("renkei", command, env=env, port=port, workers=workers, log_dir=log_dir)


def start_baseline(env: dict[str, str], *, port: int, workers: int, log_dir: Path) -> Server:
    """Served by uvicorn the same way as `renkei serve` (its supervisor, uvloop and httptools when installed)."""
    command = [str(VENV_BIN / "python"), "-m", "uvicorn", "bench_suite.baseline:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--no-access-log", "--no-server-header"]
    return start("baseline", command, env=env, port=port, workers=workers, log_dir=log_dir)


async def until_ready(server: Server, path: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if server.popen.poll() is not None:
                raise RuntimeError(f"{server.name} exited early; see {server.log_path}:\n{_tail(server.log_path)}")
            try:
                if (await http.get(server.url + path)).status_code == 200:
                    server.sampler.sample()
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s; see {server.log_path}")


def stop(server: Server) -> None:
    """SIGINT to the whole group (uvicorn's graceful stop), then SIGKILL whatever is left."""
    server.sampler.stop()
    _signal_group(server.popen.pid, signal.SIGINT)
    try:
        server.popen.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(server.popen.pid, signal.SIGKILL)
    server.popen.wait(timeout=5)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def loaded_libraries(pid: int) -> set[str]:
    """Which of uvloop and httptools a running worker has loaded (its memory maps say)."""
    try:
        paths = " ".join(m.path for m in psutil.Process(pid).memory_maps())
    except psutil.Error:
        return set()
    return {name for name in ("uvloop", "httptools") if f"/{name}/" in paths}


def _tail(path: Path, size: int = 3000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""
