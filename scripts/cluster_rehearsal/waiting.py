"""Waiting for a host to answer: plain HTTP from the bridge's side of the network."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

import httpx

from cluster_rehearsal.state import CA_FILE
from cluster_rehearsal.topology import APP_PORT, ETCD_PORT, PATRONI_PORT, Host, public_url


def status_of(url: str, *, verify: bool | ssl.SSLContext = False, timeout: float = 2) -> int | None:
    """The HTTP status ``url`` answers with, or None when nothing answers."""
    try:
        return httpx.get(url, verify=verify, timeout=timeout).status_code
    except httpx.HTTPError:
        return None


def until(what: str, check: Callable[[], bool], timeout: float = 90, log: str | None = None,
          alive: Callable[[], bool] = lambda: True) -> None:
    """Wait for ``check``; give up after ``timeout``, or at once when what should answer has died (``alive``)."""
    deadline = time.monotonic() + timeout
    while not check():
        hint = f" (see {log})" if log else ""
        if not alive():
            raise SystemExit(f"gave up waiting for {what}: it stopped{hint}")
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s{hint}")
        time.sleep(0.25)


def etcd_healthy(etcd: Host) -> bool:
    return status_of(f"http://{etcd.address}:{ETCD_PORT}/health") == 200


def patroni_says(pg: Host, endpoint: str) -> bool:
    """Patroni's REST API: /primary, /replica, /sync, /health answer 200 when true of this node."""
    return status_of(f"http://{pg.address}:{PATRONI_PORT}/{endpoint}") == 200


def app_ready(app: Host) -> bool:
    return status_of(f"http://{app.address}:{APP_PORT}/readyz") == 200


def balancer_ready() -> bool:
    return status_of(public_url() + "/readyz", verify=ssl.create_default_context(cafile=CA_FILE)) == 200


def patroni_member(pg: Host) -> dict:
    try:
        return httpx.get(f"http://{pg.address}:{PATRONI_PORT}/patroni", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return {}
