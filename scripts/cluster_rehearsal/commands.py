"""The verbs of scripts/cluster: up, status, stop, start, restart, renkei, down."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time

import asyncpg

from cluster_rehearsal import backups, network, packages, pki, processes, services, waiting
from cluster_rehearsal.state import CLOCK_FILE, STATE, create_secrets, load_secrets, write_cluster_json
from cluster_rehearsal.topology import HOSTS, Host, host, of_role
from server.settings import PROJECT_ROOT

GRACE_SECONDS = 30  # above the server's shutdown grace: a graceful stop is never cut short


def up() -> None:
    _refuse_if_not_ours()
    if any(network.exists(h.netns) for h in HOSTS) or STATE.exists():
        print("an earlier rehearsal is still here: taking it down first", flush=True)
        down()
    packages.install()
    began = time.monotonic()
    secrets = create_secrets()
    CLOCK_FILE.write_text("0")
    network.create_bridge(owner=str(PROJECT_ROOT))
    for each in HOSTS:
        network.create_host(each)
    pki.make(STATE / "pki", host("lb").address)
    backups.make_certificates()
    _start_databases(secrets)
    _start_apps()
    _start_host(host("lb"))
    waiting.until("the balancer's /readyz", waiting.balancer_ready, log=str(host("lb").home / "haproxy.log"),
                  alive=_alive(host("lb")))
    write_cluster_json(secrets.twilio_auth_token)
    print(f"up in {time.monotonic() - began:.0f} s: {STATE / 'cluster.json'}")


def _start_databases(secrets) -> None:  # type: ignore[no-untyped-def]
    etcd, repository = host("etcd"), host("backup")
    _start_host(etcd)
    _start_host(repository)  # from the first WAL file on, archive_command has somewhere to send it
    waiting.until("etcd", lambda: waiting.etcd_healthy(etcd), log=str(etcd.home / "etcd.log"), alive=_alive(etcd))
    first, *others = of_role("postgres")
    _start_host(first)  # the first node bootstraps and leads; the others copy it
    waiting.until(f"{first.name} to lead", lambda: waiting.patroni_says(first, "primary"), log=str(first.home / "patroni.log"),
                  alive=_alive(first))
    for pg in others:
        _start_host(pg)
    for pg in others:
        waiting.until(f"{pg.name} to stream", lambda pg=pg: waiting.patroni_says(pg, "replica"), log=str(pg.home / "patroni.log"))
    waiting.until("a synchronous standby", lambda: any(waiting.patroni_says(pg, "sync") for pg in others))
    asyncio.run(_create_role(first, secrets))
    for each in [repository, first, *others]:
        waiting.until(f"{each.name}'s pgBackRest server", lambda each=each: backups.serving(each), log=str(each.home / "pgbackrest.log"))
    backups.create_stanza()


async def _create_role(primary: Host, secrets) -> None:  # type: ignore[no-untyped-def]
    conn = await asyncpg.connect(host=primary.address, user="postgres", password=secrets.superuser_password, database="postgres")
    try:
        await conn.execute(f"CREATE ROLE renkei LOGIN PASSWORD '{secrets.renkei_password}'")
        await conn.execute("CREATE DATABASE renkei OWNER renkei")
    finally:
        await conn.close()


def _start_apps() -> None:
    # One signing key file for every app host: both share RENKEI_VAR_DIR, and the first to start creates
    # the development key there under the file's lock (server.oauth.jwt_tokens.generate_once).
    (STATE / "shared").mkdir(parents=True, exist_ok=True)
    for app in of_role("app"):
        _start_host(app)
    for app in of_role("app"):
        waiting.until(f"{app.name}'s /readyz", lambda app=app: waiting.app_ready(app), log=str(app.home / "renkei.log"),
                      alive=_alive(app))
    if run_renkei(["seed-demo"], quiet=True) != 0:
        raise SystemExit("renkei seed-demo failed on the cluster")


def _alive(target: Host):  # type: ignore[no-untyped-def]
    """True while every service of the host runs."""
    return lambda: all(processes.running(processes.group(target, name)) for name in services.NAMES[target.role])


def _start_host(target: Host) -> None:
    secrets = load_secrets()
    for service in services.of_host(target, secrets):
        processes.start(service, cwd=PROJECT_ROOT)


def run_renkei(args: list[str], quiet: bool = False) -> int:
    """``renkei ARGS`` on the first app host that is up, with the cluster's settings."""
    secrets = load_secrets()
    on = next((a for a in of_role("app") if network.link_is_up(a)), None)
    if on is None:
        raise SystemExit("no app host is up")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", **services.renkei_environment(secrets)}
    output = subprocess.DEVNULL if quiet else None
    command = ["ip", "netns", "exec", on.netns, str(services.VENV_BIN / "renkei"), *args]
    return subprocess.run(command, env=env, cwd=PROJECT_ROOT, stdout=output).returncode


def stop(name: str) -> None:
    """Power loss: the host leaves the network, and every process of it dies at once."""
    target = host(name)
    network.set_link(target, up=False)
    processes.kill(processes.group(target))
    print(f"{name}: stopped (power off)")


def start(name: str) -> None:
    target = host(name)
    network.set_link(target, up=True)
    for service in services.of_host(target, load_secrets()):
        if not processes.running(processes.group(target, service.name)):
            processes.start(service, cwd=PROJECT_ROOT)
    _until_host_answers(target)
    print(f"{name}: started")


def _until_host_answers(target: Host) -> None:
    checks = {"app": lambda: waiting.app_ready(target), "lb": waiting.balancer_ready,
              "etcd": lambda: waiting.etcd_healthy(target), "postgres": lambda: waiting.patroni_member(target) != {},
              "backup": lambda: backups.serving(target)}
    waiting.until(f"{target.name} to answer", checks[target.role], log=str(target.home))


def restart(name: str) -> None:
    """Graceful: SIGTERM to Renkei (it drains), then start it again and wait until it is ready."""
    target = host(name)
    if target.role != "app":
        raise SystemExit("restart is for app hosts (stop and start the others)")
    renkei = services.renkei(target, load_secrets())
    took = processes.terminate(renkei, timeout=GRACE_SECONDS)
    processes.start(renkei, cwd=PROJECT_ROOT)
    waiting.until(f"{name}'s /readyz", lambda: waiting.app_ready(target), log=str(renkei.log))
    print(f"{name}: restarted (stopped in {took:.1f} s)")


def cut(name: str) -> None:
    """The host can no longer reach any PostgreSQL host (a broken route or firewall); everything else still works."""
    network.cut_off(host(name), [pg.address for pg in of_role("postgres")], cut=True)
    print(f"{name}: cut off from the database")


def mend(name: str) -> None:
    network.cut_off(host(name), [pg.address for pg in of_role("postgres")], cut=False)
    print(f"{name}: reaches the database again")


def status() -> None:
    if not STATE.exists():
        print("no cluster (scripts/cluster up)")
        return
    print(f"{'host':6} {'role':9} {'address':12} {'network':8} state")
    for each in HOSTS:
        link = "up" if network.exists(each.netns) and network.link_is_up(each) else "down"
        print(f"{each.name:6} {each.role:9} {each.address:12} {link:8} {_describe(each)}")


def _describe(each: Host) -> str:
    if not any(processes.running(processes.group(each, name)) for name in services.NAMES[each.role]):
        return "stopped"
    if each.role == "postgres":
        member = waiting.patroni_member(each)
        return f"{member.get('role', '?')} ({member.get('state', 'no answer')}), timeline {member.get('timeline', '?')}"
    if each.role == "app":
        return f"/readyz {waiting.status_of(f'http://{each.address}:8000/readyz') or 'no answer'}"
    if each.role == "lb":
        return "serving /readyz" if waiting.balancer_ready() else "not serving"
    if each.role == "backup":
        return "pgBackRest repository serving" if backups.serving(each) else "pgBackRest not answering"
    return "healthy" if waiting.etcd_healthy(each) else "not answering"


def _refuse_if_not_ours() -> None:
    """The namespaces and the bridge are the machine's: one checkout's rehearsal at a time, and only it takes it down."""
    owner = network.bridge_owner()
    if owner not in (None, str(PROJECT_ROOT)):
        raise SystemExit(f"the rehearsal on this machine belongs to {owner or 'another checkout'}: its scripts/cluster down first")


def down() -> None:
    _refuse_if_not_ours()
    try:
        processes.remove_groups(processes.root_group())
    finally:  # whatever happens, the network and the files go too
        network.remove_all()
        shutil.rmtree(STATE, ignore_errors=True)
    print("down: no process, namespace or file of the rehearsal is left")


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        sys.exit("scripts/cluster needs root (network namespaces, cgroups, Debian packages)")
    verbs = {"up": up, "status": status, "down": down}
    one_host = {"stop": stop, "start": start, "restart": restart, "cut": cut, "mend": mend}
    if argv[:1] == ["renkei"]:
        return run_renkei(argv[1:])
    if len(argv) == 1 and argv[0] in verbs:
        verbs[argv[0]]()
        return 0
    if len(argv) == 2 and argv[0] in one_host:
        one_host[argv[0]](argv[1])
        return 0
    if argv[:1] == ["backup"] and len(argv) <= 2:
        backups.backup(*argv[1:])
        return 0
    if argv[:1] == ["restore-drill"]:
        from cluster_rehearsal import drill

        return drill.main(argv[1:])
    if argv[:1] == ["bench"]:
        from cluster_rehearsal import bench

        return bench.main(argv[1:])
    sys.exit("usage: scripts/cluster up | status | down | stop HOST | start HOST | restart HOST | cut HOST | mend HOST | renkei ARGS…"
             " | backup [full|diff|incr] | restore-drill [--target TIME] | bench")
