"""Debian's engines, installed when missing (we are root; ``apt-get update`` once first)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# program that must exist -> the Debian package providing it
NEEDED = {
    "/usr/bin/patroni": "patroni",
    "/usr/bin/etcd": "etcd-server",
    "/usr/lib/postgresql/15/bin/postgres": "postgresql-15",
    "/usr/sbin/haproxy": "haproxy",
    "/usr/sbin/pgbouncer": "pgbouncer",
    "/usr/bin/setpriv": "util-linux",
    "/usr/bin/openssl": "openssl",
    "/usr/bin/pgbackrest": "pgbackrest",
}

SERVICE_OF = {"etcd-server": "etcd", "haproxy": "haproxy", "pgbouncer": "pgbouncer", "postgresql-15": "postgresql"}


def missing() -> list[str]:
    found = {path for path in NEEDED if Path(path).exists()}
    if not shutil.which("ip"):
        return [*sorted({NEEDED[p] for p in NEEDED if p not in found}), "iproute2"]
    return sorted({NEEDED[path] for path in NEEDED if path not in found})


def install() -> None:
    wanted = missing()
    if not wanted:
        return
    print(f"installing Debian packages: {' '.join(wanted)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *wanted], check=True, env=env)
    for package in wanted:
        # Debian starts these as services on install (where systemd runs); the rehearsal runs its own.
        if package in SERVICE_OF:
            subprocess.run(["systemctl", "disable", "--now", SERVICE_OF[package]], check=False, capture_output=True)
