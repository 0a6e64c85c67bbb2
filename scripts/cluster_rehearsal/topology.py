"""The rehearsal's hosts, their addresses, and where its files live (pure data)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from server.settings import PROJECT_ROOT


def _slot(checkout: Path) -> int:
    """Each checkout its own names and /24 (1-199), so that one checkout's rehearsal, even one left
    behind by a killed run, never stands in another's way."""
    return int.from_bytes(hashlib.sha256(str(checkout).encode()).digest()[:4], "big") % 199 + 1


SLOT = _slot(PROJECT_ROOT)
SUBNET = f"10.77.{SLOT}"
PREFIX_LENGTH = 24
BRIDGE = f"rk-{SLOT}-br"
# The bridge's own address: the customers' side, where tests and the operator's shell stand.
OUTSIDE = f"{SUBNET}.1"
STATE = PROJECT_ROOT / "var" / "cluster"
DEPLOY = PROJECT_ROOT / "deploy"
APP_PORT = 8000
PATRONI_PORT = 8008
ETCD_PORT = 2379
PGBACKREST_PORT = 8432


@dataclass(frozen=True)
class Host:
    name: str
    role: str  # lb | app | postgres | etcd | backup (the contract's roles)
    address: str

    @property
    def netns(self) -> str:
        return f"rk-{SLOT}-{self.name}"  # at most 15 characters: it also names the host's end of its veth pair

    @property
    def home(self) -> Path:
        """This host's own files: configuration, data, logs, pid files."""
        return STATE / self.name


HOSTS = (
    Host("etcd", "etcd", f"{SUBNET}.31"),
    Host("pg1", "postgres", f"{SUBNET}.21"),
    Host("pg2", "postgres", f"{SUBNET}.22"),
    Host("pg3", "postgres", f"{SUBNET}.23"),
    Host("app1", "app", f"{SUBNET}.11"),
    Host("app2", "app", f"{SUBNET}.12"),
    Host("lb", "lb", f"{SUBNET}.10"),
    Host("backup", "backup", f"{SUBNET}.41"),  # pgBackRest's repository
)


def host(name: str) -> Host:
    for candidate in HOSTS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no host {name!r}; the hosts are {', '.join(h.name for h in HOSTS)}")


def of_role(role: str) -> list[Host]:
    return [h for h in HOSTS if h.role == role]


def public_url() -> str:
    return f"https://{host('lb').address}"
