"""The app's own key pair: made on first start, kept under var/, its public half published at /jwks.json.

The app proves who it is with this key (private_key_jwt); the bank registered the app with
the URL of its public key set (``jwks_uri``), so a new key needs no new registration. A
production app keeps the private key in its secrets store (an HSM or a cloud KMS), never in
the mobile app itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import ECKey


def load_or_create_key(path: Path) -> ECKey:
    if path.exists():
        return ECKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by this user only
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(key.as_dict(private=True), file)
    return key


def public_key_set(key: ECKey) -> dict:
    return {"keys": [{**key.as_dict(private=False), "use": "sig", "alg": "ES256"}]}
