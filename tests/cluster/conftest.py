"""The production rehearsal (scripts/cluster), brought up once for the session and taken down at its end.

Needs root (network namespaces, cgroups, Debian's engines), as CI runs. The
tests stand where customers, apps and Twilio stand: outside, on the bridge,
reaching Renkei only through the balancer's https URL.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.clock import write_clock_offset
from server.settings import PROJECT_ROOT
from tests.cluster.rehearsal import Cluster
from tests.conftest import OPEN_HOURS

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from cluster_rehearsal.processes import root_group  # noqa: E402  (scripts/ is not a package)
from cluster_rehearsal.topology import BRIDGE, HOSTS, OUTSIDE  # noqa: E402, F401  (OUTSIDE: for the tests)

SCRIPT = PROJECT_ROOT / "scripts" / "cluster"
STATE = PROJECT_ROOT / "var" / "cluster"


# Figures a scenario reports (the time from a primary's loss to the first /token), shown after the run.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if FIGURES:
        terminalreporter.section("production rehearsal", sep="-")
        for line in FIGURES:
            terminalreporter.line(line)


def cluster_command(*args: str, timeout: float = 180) -> str:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"scripts/cluster {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# The namespaces and the bridge are the machine's, whatever the checkout: one test session at a time.
MACHINE_LOCK = Path("/run/lock/rk-cluster.lock")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if os.geteuid() != 0:
        pytest.fail("the rehearsal needs root (network namespaces, cgroups, Debian packages): run the tests as root, as CI does")
    if os.environ.get("RENKEI_CLUSTER_REUSE") and (STATE / "cluster.json").exists():
        # While writing a scenario: the rehearsal that scripts/cluster up left running, left running.
        yield Cluster(json.loads((STATE / "cluster.json").read_text()), cluster_command)
        return
    with open(MACHINE_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session's rehearsal finishes first
        yield from _rehearsal()


def _rehearsal() -> Iterator[Cluster]:
    try:
        cluster_command("up", timeout=600)
        write_clock_offset(STATE / "clock", OPEN_HOURS)  # far from every maintenance window, whenever the tests run
        yield Cluster(json.loads((STATE / "cluster.json").read_text()), cluster_command)
    finally:
        cluster_command("down")
        _nothing_left_behind()


def _nothing_left_behind() -> None:
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    links = [line.split()[0].split("@")[0] for line in subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout.splitlines()]
    ours = {h.netns for h in HOSTS} | {BRIDGE}
    assert not ours & (set(namespaces) | set(links)), (namespaces, links)
    assert not STATE.exists() and not root_group().exists()
