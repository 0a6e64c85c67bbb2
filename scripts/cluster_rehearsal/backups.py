"""pgBackRest in the rehearsal: the backup host's repository, the PostgreSQL hosts' side, ``scripts/cluster backup``.

Each host runs deploy/pgbackrest/ as it is; what differs per host (addresses, paths,
the certificates' files) comes from the environment, as on a real host, and the
repository's passphrase from the rehearsal's secrets.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

from cluster_rehearsal import pki
from cluster_rehearsal.processes import Service
from cluster_rehearsal.state import STATE, Secrets, ensure_dir, load_secrets
from cluster_rehearsal.topology import DEPLOY, PGBACKREST_PORT, Host, host, of_role

STANZA = "renkei"
PKI = STATE / "pki"
KINDS = ("full", "diff", "incr")


def make_certificates() -> None:
    """One certificate for the PostgreSQL hosts (CN=renkei-postgres), one for the backup host (CN=renkei-backup)."""
    pki.issue(PKI, "renkei-postgres", "renkei-postgres", [pg.address for pg in of_role("postgres")],
              usage="serverAuth, clientAuth", owner="postgres")
    pki.issue(PKI, "renkei-backup", "renkei-backup", [host("backup").address], usage="serverAuth, clientAuth", owner="postgres")


def _own(target: Host, config: str, certificate: str) -> dict[str, str]:
    """What every pgBackRest process of a host is given: its file, its log and lock directories, its TLS server."""
    home = ensure_dir(target.home, owner="postgres")
    env = {"PGBACKREST_CONFIG": str(DEPLOY / "pgbackrest" / f"{config}.conf"),
           "PGBACKREST_LOG_PATH": str(ensure_dir(home / "pgbackrest", owner="postgres")),
           "PGBACKREST_LOCK_PATH": str(ensure_dir(home / "pgbackrest" / "lock", owner="postgres"))}
    return env | _tls("TLS_SERVER", certificate)


def _tls(option: str, certificate: str) -> dict[str, str]:
    return {f"PGBACKREST_{option}_CA_FILE": str(PKI / "ca.pem"),
            f"PGBACKREST_{option}_CERT_FILE": str(PKI / f"{certificate}.crt"),
            f"PGBACKREST_{option}_KEY_FILE": str(PKI / f"{certificate}.key")}


def postgres_environment(pg: Host, data: Path | None = None) -> dict[str, str]:
    """A PostgreSQL host's: its archive_command, restore_command and TLS server reach the backup host.

    The restore drill is a PostgreSQL host too (``data``: its scratch directory), as a spare host is in production.
    """
    env = _own(pg, "postgres", "renkei-postgres") | _tls("REPO1_HOST", "renkei-postgres")
    return env | {"PGBACKREST_REPO1_HOST": host("backup").address, "PGBACKREST_PG1_PATH": str(data or pg.home / "data")}


def backup_environment(secrets: Secrets) -> dict[str, str]:
    """The backup host's: the repository and its passphrase, and the three PostgreSQL hosts it backs up
    (each one's socket directory too: they share this machine's disk)."""
    backup = host("backup")
    env = _own(backup, "backup", "renkei-backup") | {
        "PGBACKREST_REPO1_PATH": str(ensure_dir(backup.home / "repository", owner="postgres")),
        "PGBACKREST_REPO1_CIPHER_PASS": secrets.repository_cipher_pass,
    }
    for n, pg in enumerate(of_role("postgres"), start=1):
        env |= {f"PGBACKREST_PG{n}_HOST": pg.address, f"PGBACKREST_PG{n}_PATH": str(pg.home / "data"),
                f"PGBACKREST_PG{n}_SOCKET_PATH": str(pg.home / "run")} | _tls(f"PG{n}_HOST", "renkei-backup")
    return env


def server(target: Host, secrets: Secrets) -> Service:
    """``pgbackrest server``, as Debian's pgbackrest.service runs it: as postgres, on port 8432."""
    env = postgres_environment(target) if target.role == "postgres" else backup_environment(secrets)
    return Service(target, "pgbackrest", ["pgbackrest", "server"], env, user="postgres")


def serving(target: Host) -> bool:
    try:
        with socket.create_connection((target.address, PGBACKREST_PORT), timeout=1):
            return True
    except OSError:
        return False


def pgbackrest(*args: str, env: dict[str, str] | None = None, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    """``pgbackrest --stanza=renkei ARGS`` on the backup host, as postgres."""
    command = ["ip", "netns", "exec", host("backup").netns, "setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
               "pgbackrest", f"--stanza={STANZA}", *args]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **(env or backup_environment(load_secrets()))}
    done = subprocess.run(command, env=env, cwd="/", capture_output=True, text=True)
    if not quiet:
        print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"pgbackrest {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def create_stanza() -> None:
    """The repository learns the cluster (stanza-create), then proves WAL arrives from the primary (check)."""
    pgbackrest("stanza-create", quiet=True)
    pgbackrest("check", quiet=True)


def backup(kind: str = "incr") -> None:
    """``scripts/cluster backup [full|diff|incr]``: taken from a standby; an incr or diff with no full before it is a full."""
    if kind not in KINDS:
        raise SystemExit(f"usage: scripts/cluster backup [{'|'.join(KINDS)}]")
    began = time.monotonic()
    pgbackrest(f"--type={kind}", "--log-level-console=warn", "backup")
    took = time.monotonic() - began
    pgbackrest("info")
    latest = json.loads(pgbackrest("--output=json", "info", quiet=True).stdout)[0]["backup"][-1]
    print(f"{latest['type']} backup {latest['label']} in {took:.1f} s")
