"""Reading JWTs that clients sign (client assertions, DPoP proofs) with joserfc.

Only the asymmetric algorithms FAPI 2.0 allows are ever accepted; the header's
``alg`` picks one of them, never ``none`` and never an HMAC (which would let a
public key be used as a shared secret).
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import Key, KeySet, OKPKey, RSAKey

from server.oauth.metadata import ASYMMETRIC_ALGS

MAX_JWT_BYTES = 8 * 1024
_BAD_INPUT = (JoseError, ValueError, TypeError, KeyError, UnicodeError, AttributeError)


class _ClientJWSRegistry(jws.JWSRegistry):
    # A DPoP header carries the client's public key: an RSA one is about 700 bytes,
    # past joserfc's default limit of 512.
    max_header_length = 2048


def _registry(algorithms: list[str]) -> jws.JWSRegistry:
    return _ClientJWSRegistry(algorithms=algorithms)


def is_time(value: Any) -> bool:
    """A JSON number usable as a NumericDate (json.loads also reads NaN and Infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def unverified_parts(value: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Header and claims before any check, to learn who claims to have signed; None if malformed."""
    if not value or len(value) > MAX_JWT_BYTES or value.count(".") != 2:
        return None
    try:
        compact = jws.extract_compact(value.encode("ascii"), registry=_registry(ASYMMETRIC_ALGS))
        claims = json.loads(compact.payload)
    except _BAD_INPUT:
        return None
    if not isinstance(claims, dict):
        return None
    return compact.headers(), claims


def strong_enough(key: Key, alg: str) -> bool:
    """FAPI 2.0 §5.4.1: RSA keys of 2048 bits or more; EdDSA with Ed25519 only."""
    if isinstance(key, RSAKey):
        return key.public_key.key_size >= 2048
    if alg == "EdDSA":
        return isinstance(key, OKPKey) and key.curve_name == "Ed25519"
    return True


def verify_signature(value: str, key: Key, alg: str) -> bool:
    """True when ``key``, strong enough, signed ``value`` with ``alg``."""
    if alg not in ASYMMETRIC_ALGS or not strong_enough(key, alg):
        return False
    try:
        with warnings.catch_warnings():
            # joserfc flags "EdDSA" as superseded by "Ed25519" (RFC 9864); FAPI 2.0 still names it.
            warnings.simplefilter("ignore", SecurityWarning)
            jws.deserialize_compact(value, key, registry=_registry([alg]))
    except _BAD_INPUT:
        return False
    return True


def signed_by_any(value: str, key_set: KeySet, header: dict[str, Any]) -> bool:
    """True when the key the header's ``kid`` names (or, without a kid, any key of the set) signed it."""
    kid = header.get("kid")
    candidates = [key for key in key_set.keys if kid is None or key.kid == kid]
    return any(verify_signature(value, key, str(header.get("alg"))) for key in candidates)
