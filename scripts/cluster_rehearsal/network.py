"""Network namespaces on one bridge: every name starts with ``rk-``, nothing else is touched."""

from __future__ import annotations

import subprocess

from cluster_rehearsal.topology import BRIDGE, HOSTS, OUTSIDE, PREFIX_LENGTH, Host


def ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(command, check=check, capture_output=True, text=True)


def exists(netns: str) -> bool:
    return netns in ip("netns", "list").stdout.split()


def bridge_owner() -> str | None:
    """The checkout whose rehearsal this machine runs (the bridge's alias), or None when none runs."""
    shown = ip("-d", "link", "show", BRIDGE, check=False)
    if shown.returncode != 0:
        return None
    for line in shown.stdout.splitlines():
        if line.strip().startswith("alias "):
            return line.strip().removeprefix("alias ")
    return ""


def create_bridge(owner: str) -> None:
    if bridge_owner() is not None:
        return
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("link", "set", BRIDGE, "alias", owner)
    ip("addr", "add", f"{OUTSIDE}/{PREFIX_LENGTH}", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")


def create_host(host: Host) -> None:
    """A namespace whose eth0 is one end of a veth pair; the other end (named like the namespace) is on the bridge."""
    if exists(host.netns):
        return
    ip("netns", "add", host.netns)
    ip("link", "add", host.netns, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
    ip("link", "set", host.netns, "master", BRIDGE, "up")
    ip("addr", "add", f"{host.address}/{PREFIX_LENGTH}", "dev", "eth0", netns=host.netns)
    ip("link", "set", "lo", "up", netns=host.netns)
    ip("link", "set", "eth0", "up", netns=host.netns)


def set_link(host: Host, up: bool) -> None:
    """Down: the host drops off the network as at a power loss (no FIN, no RST reaches anyone)."""
    ip("link", "set", "eth0", "up" if up else "down", netns=host.netns)


def link_is_up(host: Host) -> bool:
    shown = ip("-br", "link", "show", "eth0", netns=host.netns, check=False).stdout
    return "UP" in shown.split()[1:2] or ",UP" in shown


def cut_off(host: Host, addresses: list[str], cut: bool) -> None:
    """Refuse (or allow again) every packet from ``host`` to ``addresses``: a broken route, the rest of the network fine."""
    for address in addresses:
        ip("route", "add" if cut else "del", "prohibit", f"{address}/32", netns=host.netns, check=cut)


def remove_all() -> None:
    for host in HOSTS:
        if exists(host.netns):
            ip("netns", "delete", host.netns)
        ip("link", "delete", host.netns, check=False)  # the bridge end goes with the namespace; a leftover too
    ip("link", "delete", BRIDGE, check=False)
