"""Checking a DPoP-bound access token's proof at a resource server (RFC 9449 §4.3 and §7).

The bank's API teams can copy this module: it needs joserfc only. A request passes when

- it says ``Authorization: DPoP <token>`` (a DPoP-bound token sent as ``Bearer`` is refused,
  RFC 9449 §7.2) and carries exactly one ``DPoP`` header;
- the proof is a JWT with ``typ`` dpop+jwt, an asymmetric ``alg`` and a public ``jwk`` in its
  header that verifies its signature;
- ``htm`` and ``htu`` name this request (the API's public URL, without query), ``iat`` is
  within ``IAT_LEEWAY_SECONDS`` of our clock, ``jti`` was never seen before, ``ath`` is the
  hash of the token presented;
- and the key's thumbprint (RFC 7638) is the token's ``cnf.jkt``.

Nonces (§9) are optional: with ``require_nonce`` every proof must carry one this API issued
(an HMAC of a five-minute period), else the answer is ``use_dpop_nonce`` with a fresh one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

ALGORITHMS = ["ES256", "PS256", "EdDSA"]
IAT_LEEWAY_SECONDS = 10
NONCE_PERIOD_SECONDS = 300
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


class Refused(Exception):
    """RFC 6750 §3 / RFC 9449 §7.1: the error for the ``WWW-Authenticate: DPoP`` challenge."""

    def __init__(self, error: str | None, description: str = "", *, status: int = 401, nonce: str | None = None,
                 scope: str | None = None) -> None:
        super().__init__(description)
        self.error, self.description, self.status, self.nonce, self.scope = error, description, status, nonce, scope

    def challenge(self) -> str:
        params = {"error": self.error, "error_description": self.description, "scope": self.scope}
        parts = [f'{name}="{value}"' for name, value in params.items() if value]
        return "DPoP " + ", ".join([*parts, f'algs="{" ".join(ALGORITHMS)}"'])


def token_hash(access_token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()


def presented_token(authorization: str | None) -> str:
    """The access token of ``Authorization: DPoP <token>``; no header at all gets a bare challenge (RFC 6750 §3.1)."""
    if not authorization:
        raise Refused(None)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer":
        raise Refused("invalid_token", "this API accepts DPoP-bound tokens only: send Authorization: DPoP with a proof")
    if scheme.lower() != "dpop" or not token.strip():
        raise Refused("invalid_request", "send Authorization: DPoP <access token>", status=400)
    return token.strip()


@dataclass
class ProofChecker:
    """What a resource server remembers: the proofs' jtis it has seen (one process here; a
    bank with several keeps them in its shared store) and the key of its nonces."""

    nonce_key: bytes
    require_nonce: bool = False
    clock: Any = time.time
    seen: dict[str, float] = field(default_factory=dict)

    def nonce(self, periods_ago: int = 0) -> str:
        period = int(self.clock()) // NONCE_PERIOD_SECONDS - periods_ago
        return base64.urlsafe_b64encode(hmac.new(self.nonce_key, str(period).encode(), hashlib.sha256).digest()[:18]).decode()

    def check(self, proofs: list[str], *, method: str, url: str, access_token: str, jkt: str | None) -> None:
        """Raises Refused unless the single proof binds this request to the token's key."""
        if len(proofs) != 1:
            raise Refused("invalid_dpop_proof", "send exactly one DPoP header")
        header, claims, key = self._verified(proofs[0])
        self._check_claims(claims, method=method, url=url, access_token=access_token)
        if jkt is None or key.thumbprint() != jkt:
            raise Refused("invalid_dpop_proof", "the proof is not signed by the key the token is bound to (cnf.jkt)")
        self._remember(claims["jti"])

    def _verified(self, proof: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
        try:
            header = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))
            jwk = header.get("jwk")
            if header.get("typ") != "dpop+jwt" or header.get("alg") not in ALGORITHMS or not isinstance(jwk, dict) \
                    or PRIVATE_MEMBERS & jwk.keys():
                raise Refused("invalid_dpop_proof", "the proof needs typ dpop+jwt, an asymmetric alg and a public jwk")
            key = JWKRegistry.import_key(jwk)
            verified = jws.deserialize_compact(proof, key, algorithms=ALGORITHMS)
            return header, json.loads(verified.payload), key
        except (JoseError, ValueError, TypeError, KeyError, IndexError):
            raise Refused("invalid_dpop_proof", "the proof is not a JWT signed by its own jwk") from None

    def _check_claims(self, claims: dict[str, Any], *, method: str, url: str, access_token: str) -> None:
        if not isinstance(claims.get("jti"), str) or not 8 <= len(claims["jti"]) <= 256:
            raise Refused("invalid_dpop_proof", "the proof needs a jti")
        if claims.get("htm") != method or not isinstance(claims.get("htu"), str) or _origin_path(claims["htu"]) != _origin_path(url):
            raise Refused("invalid_dpop_proof", f"the proof must name this request: htm {method}, htu {url}")
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or abs(iat - self.clock()) > IAT_LEEWAY_SECONDS:
            raise Refused("invalid_dpop_proof", f"the proof's iat must be within {IAT_LEEWAY_SECONDS} s of our clock")
        if claims.get("ath") != token_hash(access_token):
            raise Refused("invalid_dpop_proof", "the proof's ath is not the hash of this access token")
        if self.require_nonce and not any(hmac.compare_digest(str(claims.get("nonce")), self.nonce(ago)) for ago in (0, 1)):
            raise Refused("use_dpop_nonce", "use the nonce in the DPoP-Nonce header", nonce=self.nonce())
        if claims["jti"] in self.seen:
            raise Refused("invalid_dpop_proof", "this proof was used already (jti)")

    def _remember(self, jti: str) -> None:
        now = self.clock()
        for old in [j for j, until in self.seen.items() if until < now]:
            del self.seen[old]
        self.seen[jti] = now + 2 * max(IAT_LEEWAY_SECONDS, NONCE_PERIOD_SECONDS if self.require_nonce else 0)


def _origin_path(url: str) -> str:
    """RFC 9449 §4.3: compare without query and fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}{parts.path or '/'}"
