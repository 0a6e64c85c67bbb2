"""Every process of a host in one cgroup (v2), so that a host stops as a whole, as at a power loss.

A service is started inside its host's network namespace, as its own user, in
``rk-cluster-SLOT/HOST/SERVICE``; its pid file and log sit in the host's directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cluster_rehearsal.topology import SLOT, Host

ROOT_GROUP = f"rk-cluster-{SLOT}"


def _cgroup2_mount() -> Path:
    for line in Path("/proc/mounts").read_text().splitlines():
        kind, where = line.split()[2], line.split()[1]
        if kind == "cgroup2":
            return Path(where)
    raise SystemExit("scripts/cluster needs the cgroup v2 file system (to stop a host's processes at once)")


def group(host: Host, service: str | None = None) -> Path:
    path = _cgroup2_mount() / ROOT_GROUP / host.name
    return path / service if service else path


def running(path: Path) -> bool:
    """A group is running while any process is in it or below it."""
    events = path / "cgroup.events"
    return events.exists() and "populated 1" in events.read_text()


@dataclass
class Service:
    host: Host
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # None: root

    @property
    def log(self) -> Path:
        return self.host.home / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.host.home / f"{self.name}.pid"


def start(service: Service, cwd: Path) -> int:
    cgroup = group(service.host, service.name)
    cgroup.mkdir(parents=True, exist_ok=True)
    as_user = ["setpriv", f"--reuid={service.user}", f"--regid={service.user}", "--init-groups"] if service.user else []
    service.host.home.mkdir(parents=True, exist_ok=True)
    with open(service.log, "ab") as log:
        process = subprocess.Popen(
            ["ip", "netns", "exec", service.host.netns, *as_user, *service.command],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **service.env}, cwd=cwd,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=lambda: (cgroup / "cgroup.procs").write_text("0"),  # itself, before exec: its children follow
        )
    service.pid_file.write_text(str(process.pid))
    return process.pid


def kill(path: Path, timeout: float = 10) -> None:
    """SIGKILL to every process of the group at once, and wait until they are gone."""
    if not path.exists():
        return
    (path / "cgroup.kill").write_text("1")
    _wait_empty(path, timeout)


def terminate(service: Service, timeout: float) -> float:
    """SIGTERM to the service's main process; SIGKILL to what is left after ``timeout``. Seconds it took."""
    began = time.monotonic()
    path = group(service.host, service.name)
    try:
        os.kill(int(service.pid_file.read_text()), signal.SIGTERM)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    if not _wait_empty(path, timeout, fail=False):
        kill(path)
    return time.monotonic() - began


def _wait_empty(path: Path, timeout: float, fail: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while running(path):
        if time.monotonic() > deadline:
            if fail:
                raise RuntimeError(f"{path}: processes still running after {timeout} s")
            return False
        time.sleep(0.05)
    return True


def remove_groups(path: Path) -> None:
    """Remove a group tree, deepest first (a group must be empty of processes and groups)."""
    if not path.exists():
        return
    kill(path)
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        child.rmdir()
    path.rmdir()


def root_group() -> Path:
    return _cgroup2_mount() / ROOT_GROUP
