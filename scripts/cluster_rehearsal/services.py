"""What runs on each host, from the files under deploy/ (each host's part filled in from the topology)."""

from __future__ import annotations

from string import Template

from cluster_rehearsal import backups
from cluster_rehearsal.processes import Service
from cluster_rehearsal.state import CLOCK_FILE, STATE, Secrets, ensure_dir
from cluster_rehearsal.topology import APP_PORT, DEPLOY, ETCD_PORT, Host, host, of_role, public_url
from server.settings import PROJECT_ROOT

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"


def etcd(etcd_host: Host) -> Service:
    data = ensure_dir(etcd_host.home / "data", owner="etcd")
    rendered = Template((DEPLOY / "etcd" / "etcd.env").read_text()).substitute(
        ETCD_NAME=etcd_host.name, ETCD_DATA_DIR=data, ETCD_ADDRESS=etcd_host.address,
        ETCD_INITIAL_CLUSTER=f"{etcd_host.name}=http://{etcd_host.address}:2380")
    env = dict(line.split("=", 1) for line in rendered.splitlines() if line and not line.startswith("#"))
    return Service(etcd_host, "etcd", ["etcd"], env, user="etcd")


def patroni(pg: Host, secrets: Secrets) -> Service:
    home = ensure_dir(pg.home, owner="postgres")
    config = home / "patroni.yml"
    # Three nodes share this machine's file system: each keeps its socket in a directory of its own
    # (not the data directory: a base backup would copy the socket's lock file to the next node).
    sockets = ensure_dir(home / "run", owner="postgres")
    text = (DEPLOY / "patroni" / "patroni.yml").read_text()
    config.write_text(text.replace("unix_socket_directories: /var/run/postgresql", f"unix_socket_directories: {sockets}"))
    env = {
        "PATRONI_NAME": pg.name,
        "PATRONI_RESTAPI_LISTEN": f"{pg.address}:8008", "PATRONI_RESTAPI_CONNECT_ADDRESS": f"{pg.address}:8008",
        "PATRONI_POSTGRESQL_LISTEN": f"{pg.address}:5432", "PATRONI_POSTGRESQL_CONNECT_ADDRESS": f"{pg.address}:5432",
        "PATRONI_POSTGRESQL_DATA_DIR": str(home / "data"), "PATRONI_POSTGRESQL_PGPASS": str(home / "pgpass"),
        "PATRONI_ETCD3_HOSTS": f"{host('etcd').address}:{ETCD_PORT}",
        "PATRONI_SUPERUSER_PASSWORD": secrets.superuser_password,
        "PATRONI_REPLICATION_PASSWORD": secrets.replication_password,
        "PATRONI_REWIND_PASSWORD": secrets.rewind_password,
        "HOME": str(home),
    } | backups.postgres_environment(pg)  # PostgreSQL's archive_command and restore_command inherit it
    return Service(pg, "patroni", ["patroni", str(config)], env, user="postgres")


def postgres_route(app: Host) -> Service:
    """The app host's own HAProxy: 127.0.0.1:5432 is always the current primary."""
    env = {f"RENKEI_PG{n}": pg.address for n, pg in enumerate(of_role("postgres"), start=1)}
    return Service(app, "postgres-route", ["haproxy", "-db", "-f", str(DEPLOY / "haproxy" / "renkei-postgres.cfg")], env)


def balancer(lb: Host, certificate: str) -> Service:
    env = {"RENKEI_LB_ADDRESS": lb.address, "RENKEI_LB_CERT": certificate, "RENKEI_LB_ERRORS": str(DEPLOY / "haproxy" / "errors")}
    env |= {f"RENKEI_APP{n}": f"{app.address}:{APP_PORT}" for n, app in enumerate(of_role("app"), start=1)}
    return Service(lb, "haproxy", ["haproxy", "-db", "-f", str(DEPLOY / "haproxy" / "renkei-lb.cfg")], env)


def renkei_environment(secrets: Secrets) -> dict[str, str]:
    """Development settings (demo data, sandbox apps, the simulated call), served over https through the balancer."""
    return {
        "RENKEI_ENV": "development",
        "RENKEI_PUBLIC_URL": public_url(),
        "RENKEI_VAR_DIR": str(STATE / "shared"),  # the signing keys every app host shares
        "RENKEI_CLOCK_FILE": str(CLOCK_FILE),
        "DATABASE_URL": f"postgresql://renkei:{secrets.renkei_password}@127.0.0.1:5432/renkei",
        "TWILIO_AUTH_TOKEN": secrets.twilio_auth_token,
        "FORWARDED_ALLOW_IPS": host("lb").address,  # only the balancer may say who the client is
        "SSL_CERT_FILE": str(STATE / "pki" / "ca.pem"),  # the development "simulate the call" goes through the balancer
        "HOME": str(STATE / "shared"),
    }


def renkei(app: Host, secrets: Secrets) -> Service:
    command = [str(VENV_BIN / "renkei"), "serve", "--host", "0.0.0.0", "--port", str(APP_PORT)]
    return Service(app, "renkei", command, renkei_environment(secrets))


# Each role's services, in the order they start.
NAMES = {"etcd": ("etcd",), "postgres": ("patroni", "pgbackrest"), "app": ("postgres-route", "renkei"), "lb": ("haproxy",),
         "backup": ("pgbackrest",)}


def of_host(target: Host, secrets: Secrets) -> list[Service]:
    """A host's services in the order they start."""
    if target.role == "etcd":
        return [etcd(target)]
    if target.role == "postgres":
        return [patroni(target, secrets), backups.server(target, secrets)]
    if target.role == "backup":
        return [backups.server(target, secrets)]
    if target.role == "app":
        return [postgres_route(target), renkei(target, secrets)]
    return [balancer(target, str(STATE / "pki" / "lb.pem"))]
