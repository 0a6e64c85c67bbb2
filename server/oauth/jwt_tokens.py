"""The server's signing keys: a private JWKS file, the first key signs, all are published.

Keeping several keys lets them roll over without breaking live tokens: put the
new key first (it signs from the next start) and keep the old one until the
last token it signed has expired. ``/jwks`` publishes the public parts only.

In development, when ``secrets.signing_keys_file`` is unset, one key is generated
once into ``var/signing-keys.json``, under a file lock so that several server
processes starting together agree on it. Production refuses to start without a
configured file (server.settings).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from server.settings import ConfigError, Settings

SIGNING_ALG = "ES256"
DEVELOPMENT_KEYS_FILE = "signing-keys.json"


class SigningKeys:
    """The key set; ``signer`` is the first key."""

    def __init__(self, key_set: KeySet) -> None:
        self.key_set = key_set
        self.signer: ECKey = key_set.keys[0]  # type: ignore[assignment]

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        return jwt.encode({**header, "alg": SIGNING_ALG, "kid": self.signer.kid}, claims, self.signer)

    def verify(self, value: str) -> jwt.Token | None:
        """The token if one of our keys signed it with ES256; None for anything else."""
        try:
            return jwt.decode(value, self.key_set, algorithms=[SIGNING_ALG])
        except (JoseError, ValueError, TypeError, KeyError, UnicodeError):
            return None

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.key_set.keys]}


def load_signing_keys(settings: Settings) -> SigningKeys:
    path = settings.secrets.signing_keys_file
    if path is None:
        path = settings.var_dir / DEVELOPMENT_KEYS_FILE
        generate_once(path)
    return SigningKeys(parse_key_file(path))


def parse_key_file(path: Path) -> KeySet:
    """Every key must be a private P-256 key with a unique kid (the thumbprint when absent)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        key_set = KeySet.import_key_set(document)
    except FileNotFoundError:
        raise ConfigError(f"{path}: signing keys file not found (secrets.signing_keys_file)") from None
    except (ValueError, TypeError, KeyError, JoseError) as error:
        raise ConfigError(f"{path}: not a JWKS of private keys: {error}") from None
    kids = []
    for key in key_set.keys:
        if not isinstance(key, ECKey) or key.curve_name != "P-256" or not key.is_private:
            raise ConfigError(f"{path}: every signing key must be a private EC P-256 key ({SIGNING_ALG})")
        key.ensure_kid()
        kids.append(key.kid)
    if not kids or len(set(kids)) != len(kids):
        raise ConfigError(f"{path}: the JWKS needs at least one key, each with its own kid")
    return key_set


def new_private_key() -> ECKey:
    key = ECKey.generate_key("P-256", parameters={"alg": SIGNING_ALG, "use": "sig"}, private=True)
    key.ensure_kid()
    return key


def generate_once(path: Path) -> None:
    """Create the development key file unless it exists; safe from many processes at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            write_key_file(path, KeySet([new_private_key()]))


def write_key_file(path: Path, key_set: KeySet) -> None:
    """Write atomically, readable by the owner only."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(key_set.as_dict(private=True), handle, indent=2)
    os.replace(temporary, path)
