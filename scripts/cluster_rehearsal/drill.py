"""``scripts/cluster restore-drill [--target TIME]``: the quarterly restore drill (DEPLOYMENT.md section 9), timed.

The repository's latest backup before TIME and the WAL up to TIME are restored into a
scratch PostgreSQL on the backup host, which is started, asked what it holds, then
stopped and removed. The live cluster is only asked to close its current WAL file.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from cluster_rehearsal import backups, processes
from cluster_rehearsal.processes import Service
from cluster_rehearsal.state import ensure_dir
from cluster_rehearsal.topology import host

POSTGRES = "/usr/lib/postgresql/15/bin/postgres"
SCRATCH = host("backup").home / "drill"


class Steps:
    """Each step of the drill and the seconds it took, as the drill's record lists them."""

    def __init__(self) -> None:
        self.took: list[tuple[str, float]] = []

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            self.took.append((name, time.monotonic() - began))

    def __str__(self) -> str:
        return "\n".join(f"  {name:34} {seconds:6.1f} s" for name, seconds in self.took)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster restore-drill")
    parser.add_argument("--target", help="recover up to this moment, e.g. '2027-01-15 10:42:00+09' (default: all archived WAL)")
    target = parser.parse_args(argv).target
    steps, scratch = Steps(), _scratch()
    try:
        with steps("archive the current WAL (check)"):
            backups.pgbackrest("check", quiet=True)
        with steps("restore the backup"):
            restored = _restore(target)
        with steps("start, replay WAL, promote"):
            logged = scratch.log.stat().st_size if scratch.log.exists() else 0
            processes.start(scratch, cwd=SCRATCH)
            asyncio.run(_until_promoted(scratch))
        with steps("ask what it holds"):
            holds = [_recovered_to(scratch, logged), *asyncio.run(_what_it_holds())]
    finally:
        with steps("stop and remove the copy"):
            _remove(scratch)
    print(f"restored {restored}, up to {target or 'the end of the archived WAL'}", *holds, "steps:", steps, sep="\n")
    print(f"total {sum(s for _, s in steps.took):.1f} s")
    return 0


def _remove(scratch: Service) -> None:
    """The copy is thrown away: its processes are killed at once, no shutdown checkpoint to wait for."""
    processes.kill(processes.group(scratch.host, scratch.name))
    scratch.pid_file.unlink(missing_ok=True)
    shutil.rmtree(SCRATCH, ignore_errors=True)


def _environment() -> dict[str, str]:
    """A PostgreSQL host's pgBackRest reaching the repository (no passphrase), its data directory the scratch one."""
    return backups.postgres_environment(host("backup"), data=SCRATCH / "data")


def _scratch() -> Service:
    """PostgreSQL on the restored copy: reachable only through its socket, archiving nothing, waiting for no standby."""
    settings = {"listen_addresses": "", "unix_socket_directories": str(SCRATCH), "hba_file": str(SCRATCH / "pg_hba.conf"),
                "archive_mode": "off", "synchronous_standby_names": "", "primary_conninfo": "", "port": "5432"}
    command = [POSTGRES, "-D", str(SCRATCH / "data"), *(f"-c{name}={value}" for name, value in settings.items())]
    return Service(host("backup"), "drill", command, _environment(), user="postgres")


def _restore(target: str | None) -> str:
    """pgbackrest restore into an empty directory; the backup set it chose."""
    shutil.rmtree(SCRATCH, ignore_errors=True)
    ensure_dir(SCRATCH / "data", owner="postgres")
    (SCRATCH / "pg_hba.conf").write_text("local all postgres trust\n")
    ensure_dir(SCRATCH, owner="postgres")
    to = ["--type=time", f"--target={target}", "--target-action=promote"] if target else []
    done = backups.pgbackrest("--log-level-console=info", "--archive-mode=off", *to, "restore", env=_environment(), quiet=True)
    chosen = re.search(r"restore backup set ([\w-]+)", done.stdout)
    return f"backup set {chosen.group(1) if chosen else '?'}"


async def _until_promoted(scratch: Service, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not await _promoted():
        if not processes.running(processes.group(scratch.host, scratch.name)):
            said = [line for line in scratch.log.read_text(errors="replace").splitlines() if "FATAL" in line][-1:]
            raise SystemExit(f"the restored PostgreSQL stopped (see {scratch.log}): {' '.join(said)}")
        if time.monotonic() > deadline:
            raise SystemExit(f"the restored PostgreSQL did not finish recovery within {timeout:.0f} s (see {scratch.log})")
        await asyncio.sleep(0.2)


async def _promoted() -> bool:
    try:
        conn = await asyncpg.connect(host=str(SCRATCH), user="postgres", database="renkei", timeout=2)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
        return False
    try:
        return not await conn.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await conn.close()


def _recovered_to(scratch: Service, logged: int) -> str:
    """What PostgreSQL says of where its recovery stopped (its log since it started)."""
    with open(scratch.log, "rb") as log:
        log.seek(logged)
        said = log.read().decode(errors="replace")
    last = re.search(r"last completed transaction was at log time (.+)", said)
    return f"recovered to: the last transaction committed at {last.group(1) if last else '(none replayed after the backup)'}"


async def _what_it_holds() -> list[str]:
    conn = await asyncpg.connect(host=str(SCRATCH), user="postgres", database="renkei")
    try:
        grants = await conn.fetchval("SELECT count(*) FROM oauth_grant")
        newest = await conn.fetchval("SELECT max(at) FROM operation_log")
    finally:
        await conn.close()
    return [f"oauth_grant rows: {grants}",
            f"newest operation_log line: {newest} (Renkei's clock)"]
