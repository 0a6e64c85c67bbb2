"""What ``up`` decided once and every later command reads: passwords, tokens, cluster.json."""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from cluster_rehearsal.topology import HOSTS, STATE, public_url

SECRETS = STATE / "secrets.json"
CLUSTER_JSON = STATE / "cluster.json"
CA_FILE = STATE / "pki" / "ca.pem"
CLOCK_FILE = STATE / "clock"


@dataclass(frozen=True)
class Secrets:
    superuser_password: str
    replication_password: str
    rewind_password: str
    renkei_password: str
    twilio_auth_token: str
    repository_cipher_pass: str  # pgBackRest's repository key (PGBACKREST_REPO1_CIPHER_PASS)


def create_secrets() -> Secrets:
    if SECRETS.exists():
        return load_secrets()
    made = Secrets(*(secrets.token_urlsafe(24) for _ in Secrets.__dataclass_fields__))
    SECRETS.parent.mkdir(parents=True, exist_ok=True)
    SECRETS.touch(mode=0o600)
    SECRETS.write_text(json.dumps(asdict(made), indent=2))
    return made


def load_secrets() -> Secrets:
    try:
        return Secrets(**json.loads(SECRETS.read_text()))
    except FileNotFoundError:
        sys.exit("no cluster here: run scripts/cluster up first")


def write_cluster_json(twilio_auth_token: str) -> dict:
    """The contract's description of the rehearsal (CONTRACT.md section 10)."""
    document = {
        "url": public_url(),
        "ca_file": str(CA_FILE),
        "twilio_auth_token": twilio_auth_token,
        "hosts": [{"name": h.name, "role": h.role, "netns": h.netns, "address": h.address} for h in HOSTS],
    }
    CLUSTER_JSON.write_text(json.dumps(document, indent=2) + "\n")
    return document


def ensure_dir(path: Path, owner: str | None = None) -> Path:
    import shutil

    path.mkdir(parents=True, exist_ok=True)
    if owner:
        shutil.chown(path, owner, owner)
        path.chmod(0o700)
    return path
