"""The server's signing keys: a private JWKS file, the first key signs, all are published.

Keeping several keys lets them roll over without breaking live tokens: put the
new key first (``renkei keys rotate``) and keep the old one until the last token
it signed has expired (``renkei keys retire``). Every process re-reads the file
when it changes (checked every few seconds, and at once when a token does not
verify, since another process may already sign with a newer key), so a rollover
needs no restart. ``/jwks`` publishes the public parts only.

In development, when ``secrets.signing_keys_file`` is unset, one key is generated
once into ``var/signing-keys.json``, under a file lock so that several server
processes starting together agree on it. Production refuses to start without a
configured file (server.settings).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from server.logs import get_logger
from server.settings import ConfigError, Settings

log = get_logger(__name__)

SIGNING_ALG = "ES256"
CREATED = "iat"  # when a key was made (seconds since the epoch), in the private key file only
DEVELOPMENT_KEYS_FILE = "signing-keys.json"
CHECK_SECONDS = 5.0
# Resource servers introspect the same token on every API call they serve. A signature that
# verified once verifies the same way for as long as the key set is the same, so a key set
# remembers the tokens it verified (a changed key file makes a new key set, which remembers
# nothing). Only tokens that verified are remembered; the caller checks expiry, audience and
# revocation every time.
VERIFIED_TOKENS = 4096


class SigningKeys:
    """The key set; ``signer`` is the first key."""

    def __init__(self, key_set: KeySet) -> None:
        self.key_set = key_set
        self.signer: ECKey = key_set.keys[0]  # type: ignore[assignment]
        self._verified: OrderedDict[str, jwt.Token] = OrderedDict()

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        return jwt.encode({**header, "alg": SIGNING_ALG, "kid": self.signer.kid}, claims, self.signer)

    def verify(self, value: str) -> jwt.Token | None:
        """The token if one of our keys signed it with ES256; None for anything else."""
        token = self.remembered(value)
        if token is not None:
            return token
        try:
            token = jwt.decode(value, self.key_set, algorithms=[SIGNING_ALG])
        except (JoseError, ValueError, TypeError, KeyError, UnicodeError):
            return None
        self._verified[value] = token
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return token

    def remembered(self, value: str) -> jwt.Token | None:
        """The token if it verified here before; None when unknown (which says nothing of its signature)."""
        token = self._verified.get(value)
        if token is not None:
            self._verified.move_to_end(value)
        return token

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [{k: v for k, v in key.as_dict(private=False).items() if k != CREATED} for key in self.key_set.keys]}


class SigningKeyFile:
    """The keys of a file, as they are now: the same calls as SigningKeys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._file_stamp()
        self.keys = SigningKeys(parse_key_file(path))
        self._checked = time.monotonic()

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        return self._current().sign(header, claims)

    def verify(self, value: str) -> jwt.Token | None:
        token = self._current().verify(value)
        if token is None and self._reload_if_changed():
            token = self.keys.verify(value)
        return token

    def remembered(self, value: str) -> jwt.Token | None:
        return self._current().remembered(value)

    def public_jwks(self) -> dict[str, Any]:
        return self._current().public_jwks()

    def _current(self) -> SigningKeys:
        if time.monotonic() - self._checked >= CHECK_SECONDS:
            self._reload_if_changed()
        return self.keys

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _reload_if_changed(self) -> bool:
        self._checked = time.monotonic()
        stamp = self._file_stamp()
        if stamp == self._stamp or stamp is None:
            return False
        self._stamp = stamp
        try:
            self.keys = SigningKeys(parse_key_file(self.path))
        except ConfigError as error:  # a broken edit: keep signing with what worked
            log.error("signing_keys.unreadable", problem=str(error))
            return False
        log.info("signing_keys.reloaded", signing_kid=self.keys.signer.kid, published=len(self.keys.key_set.keys))
        return True


def key_file_path(settings: Settings) -> Path:
    """The configured file, or in development the generated one (created on first use)."""
    path = settings.secrets.signing_keys_file
    if path is None:
        path = settings.var_dir / DEVELOPMENT_KEYS_FILE
        generate_once(path)
    return path


def load_signing_keys(settings: Settings) -> SigningKeyFile:
    return SigningKeyFile(key_file_path(settings))


def parse_key_file(path: Path) -> KeySet:
    """Every key must be a private P-256 key with a unique kid (the thumbprint when absent)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        key_set = KeySet.import_key_set(document)
    except FileNotFoundError:
        raise ConfigError(f"{path}: signing keys file not found (secrets.signing_keys_file); "
                          "create the first key with: renkei keys init") from None
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


def new_private_key(created: datetime | None = None) -> ECKey:
    """A new P-256 key; ``created`` is kept in the private file (as ``iat``), never published."""
    key = ECKey.generate_key("P-256", parameters={"alg": SIGNING_ALG, "use": "sig"}, private=True)
    # The thumbprint, behind a prefix: a bare base64url kid may start with "-",
    # which `renkei keys retire KID` would read as an option.
    parameters: dict[str, Any] = {"alg": SIGNING_ALG, "use": "sig", "kid": "rk-" + key.thumbprint()}
    if created is not None:
        parameters[CREATED] = int(created.timestamp())
    return ECKey.import_key(key.as_dict(private=True), parameters)


@contextmanager
def key_file_lock(path: Path) -> Iterator[None]:
    """Hold the file's lock: one writer at a time, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def generate_once(path: Path) -> None:
    """Create the development key file unless it exists; safe from many processes at once."""
    with key_file_lock(path):
        if not path.exists():
            write_key_file(path, KeySet([new_private_key()]))


def write_key_file(path: Path, key_set: KeySet) -> None:
    """Write atomically, readable by the owner only."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(key_set.as_dict(private=True), handle, indent=2)
    os.replace(temporary, path)
