"""DPoP proofs (RFC 9449 §4.3): the client shows, on every request, that it holds the
private key its tokens are bound to.

A proof is refused unless: ``typ`` is dpop+jwt; ``alg`` is ES256, PS256 or EdDSA;
the header's ``jwk`` is a public key that verifies the signature; ``htm`` and
``htu`` name this request (public URL and path, no query); ``iat`` is within
10 s of our clock, or within 5 minutes when the proof carries a fresh nonce we
issued (RFC 9449 §11.1: the nonce then vouches for freshness, so a phone whose
clock drifts still works); ``ath`` is the token's hash when a token is presented;
its ``jti`` was never seen (remembered in the database, so every process agrees);
and a ``nonce``, when the proof carries one, is one we issued recently.

Nonces (§8) are stateless: an HMAC of a five-minute period, valid for the
current and the previous period, so any process can check any other's.
Successful DPoP responses carry a fresh ``DPoP-Nonce``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import JWKRegistry, Key
from starlette.requests import Request

from server.db.tokens import remember_once
from server.oauth.errors import InvalidDpopProof, UseDpopNonce
from server.oauth.metadata import ASYMMETRIC_ALGS
from server.oauth.signed_jwt import is_time, strong_enough, unverified_parts, verify_signature
from server.runtime import Runtime

PROOF_TYPE = "dpop+jwt"
IAT_LEEWAY_SECONDS = 10
NONCE_IAT_LEEWAY_SECONDS = 300  # with a fresh server nonce in the proof
NONCE_PERIOD_SECONDS = 300
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
WEAK_KEY = "the DPoP proof's key is weaker than FAPI 2.0 allows (RSA under 2048 bits, or EdDSA not on Ed25519)"


@dataclass(frozen=True)
class DpopProof:
    jkt: str  # RFC 7638 thumbprint of the proof's key
    jti: str
    iat: int
    nonce: str | None


def proof_header(request: Request) -> str | None:
    values = request.headers.getlist("dpop")
    if len(values) > 1:
        raise InvalidDpopProof("send exactly one DPoP header")
    return values[0] if values else None


def check_proof(value: str, *, method: str, url: str, now: datetime, access_token: str | None = None,
                nonce_keys: tuple[str, ...] | None = None) -> DpopProof:
    """Every check of RFC 9449 §4.3 that needs no storage (``nonce_keys``: ours, to widen ``iat`` for a fresh nonce)."""
    parts = unverified_parts(value)
    if parts is None:
        raise InvalidDpopProof("the DPoP proof is not a signed JWT")
    header, claims = parts
    if header.get("typ") != PROOF_TYPE:
        raise InvalidDpopProof(f"the DPoP proof's typ must be {PROOF_TYPE}")
    alg = header.get("alg")
    if alg not in ASYMMETRIC_ALGS:
        raise InvalidDpopProof("the DPoP proof's alg must be one of " + ", ".join(ASYMMETRIC_ALGS))
    key = _public_key(header.get("jwk"))
    if not strong_enough(key, alg):
        raise InvalidDpopProof(WEAK_KEY)
    if not verify_signature(value, key, alg):
        raise InvalidDpopProof("the DPoP proof's signature does not verify with its jwk")
    nonce = claims.get("nonce")
    fresh_nonce = nonce_keys is not None and isinstance(nonce, str) and nonce_is_fresh(nonce_keys, nonce, now)
    leeway = NONCE_IAT_LEEWAY_SECONDS if fresh_nonce else IAT_LEEWAY_SECONDS
    _check_claims(claims, method=method, url=url, now=now, access_token=access_token, iat_leeway=leeway)
    return DpopProof(jkt=key.thumbprint(), jti=claims["jti"], iat=int(claims["iat"]), nonce=nonce if isinstance(nonce, str) else None)


def _public_key(jwk: Any) -> Key:
    if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & jwk.keys() or jwk.get("kty") not in ("EC", "RSA", "OKP"):
        raise InvalidDpopProof("the DPoP proof's jwk must be a public EC, RSA or OKP key")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SecurityWarning)  # joserfc's warning about a short RSA key
            return JWKRegistry.import_key(jwk)
    except SecurityWarning:
        raise InvalidDpopProof(WEAK_KEY) from None
    except (JoseError, ValueError, TypeError, KeyError):
        raise InvalidDpopProof("the DPoP proof's jwk cannot be read") from None


def _check_claims(claims: dict[str, Any], *, method: str, url: str, now: datetime, access_token: str | None,
                  iat_leeway: int) -> None:
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
        raise InvalidDpopProof("the DPoP proof needs a jti of 8 to 256 characters")
    if claims.get("htm") != method:
        raise InvalidDpopProof(f"the DPoP proof's htm must be {method}")
    if not isinstance(claims.get("htu"), str) or normalise_htu(claims["htu"]) != normalise_htu(url):
        raise InvalidDpopProof(f"the DPoP proof's htu must be {url}")
    if not is_time(iat) or abs(iat - now.timestamp()) > iat_leeway:
        raise InvalidDpopProof(f"the DPoP proof's iat must be within {IAT_LEEWAY_SECONDS} s of the server's time"
                               f" ({NONCE_IAT_LEEWAY_SECONDS} s with a fresh nonce from DPoP-Nonce)")
    if access_token is not None and claims.get("ath") != token_hash(access_token):
        raise InvalidDpopProof("the DPoP proof's ath does not match the access token")


def normalise_htu(url: str) -> str:
    """RFC 9449 §4.3: compare without query and fragment, after scheme-based normalisation."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a port at all: matches nothing
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}{f':{port}' if port and port != default else ''}{parts.path or '/'}"


def token_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def dpop_nonce(key: str, now: datetime, periods_ago: int = 0) -> str:
    period = int(now.timestamp()) // NONCE_PERIOD_SECONDS - periods_ago
    mac = hmac.new(key.encode(), f"renkei-dpop-nonce:{period}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def nonce_is_fresh(keys: tuple[str, ...], nonce: str, now: datetime) -> bool:
    """Made this period or the last, under any session key (one given out before a key rotation too)."""
    return any(hmac.compare_digest(nonce, dpop_nonce(key, now, ago)) for key in keys for ago in (0, 1))


async def verify_dpop(request: Request, runtime: Runtime, conn: asyncpg.Connection, *, required: bool,
                      access_token: str | None = None) -> DpopProof | None:
    """The request's checked proof; None when it has none and none is required."""
    value = proof_header(request)
    if value is None:
        if required:
            raise InvalidDpopProof("this client must send a DPoP proof")
        return None
    now, nonce_keys = runtime.clock.now(), runtime.settings.secrets.session_keys
    url = runtime.settings.public_url + request.url.path
    proof = check_proof(value, method=request.method, url=url, now=now, access_token=access_token, nonce_keys=nonce_keys)
    if proof.nonce is not None and not nonce_is_fresh(nonce_keys, proof.nonce, now):
        raise UseDpopNonce("use the nonce in the DPoP-Nonce header", nonce=dpop_nonce(nonce_keys[0], now))
    # Remembered for as long as the proof could still pass: its iat window, or its nonce's two periods.
    kept = 2 * NONCE_PERIOD_SECONDS if proof.nonce is not None else 2 * IAT_LEEWAY_SECONDS
    forget_after = now + timedelta(seconds=kept)
    if not await remember_once(conn, f"dpop:{proof.jti}", seen_at=now, forget_after=forget_after):
        raise InvalidDpopProof("the DPoP proof was already used (jti)")
    return proof
