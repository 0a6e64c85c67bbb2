"""What an access token says, found out in one of two ways.

- ``introspection`` (the default, and what a bank should do): ``POST /introspect`` (RFC 7662)
  on every call, authenticated as the resource server. Only introspection knows that a link
  was ended (revoked, unlinked by the customer or a clerk, the account moved) a moment ago.
- ``jwt``: verify the token ourselves with Renkei's keys from ``/jwks`` (RFC 9068: ``typ``
  at+jwt, ``iss``, ``aud`` = the issuer + ``/api``, ``exp``). Cheaper, but a revoked token
  stays good until it expires (600 s at most). The token names the link (``sub``), not the
  account: the account a link covers is asked of /introspect once and remembered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from demo.bank_api.dpop import Refused


@dataclass(frozen=True)
class TokenFacts:
    account: str  # BBB-T-NNNNNNN
    scopes: frozenset[str]
    jkt: str | None  # the DPoP key the token is bound to


INACTIVE = "the access token is expired, revoked or not one Renkei issued"


@dataclass
class Introspection:
    """RFC 7662 at Renkei, as a registered resource server (HTTP Basic here)."""

    http: httpx.AsyncClient
    issuer: str
    credentials: tuple[str, str]

    async def answer(self, access_token: str) -> dict[str, Any]:
        response = await self.http.post(self.issuer + "/introspect", data={"token": access_token}, auth=self.credentials)
        response.raise_for_status()  # our credentials or Renkei itself: a 5xx for our caller, not their fault
        return response.json()

    async def facts(self, access_token: str) -> TokenFacts:
        answer = await self.answer(access_token)
        if answer.get("active") is not True or answer.get("token_type") == "refresh_token":
            raise Refused("invalid_token", INACTIVE)
        return TokenFacts(answer["account"], frozenset(answer.get("scope", "").split()), (answer.get("cnf") or {}).get("jkt"))


@dataclass
class JwtVerification:
    """RFC 9068 access tokens checked with the keys at /jwks (fetched again for a kid we do not know)."""

    introspection: Introspection
    clock: Any = time.time
    keys: KeySet | None = None
    accounts: dict[str, str] = field(default_factory=dict)  # sub (one per link) -> account

    async def facts(self, access_token: str) -> TokenFacts:
        claims = await self._verified_claims(access_token)
        sub = claims["sub"]
        if sub not in self.accounts:
            answer = await self.introspection.answer(access_token)
            if answer.get("active") is not True:
                raise Refused("invalid_token", INACTIVE)
            self.accounts[sub] = answer["account"]
        return TokenFacts(self.accounts[sub], frozenset(str(claims.get("scope", "")).split()), (claims.get("cnf") or {}).get("jkt"))

    async def _verified_claims(self, access_token: str) -> dict[str, Any]:
        issuer = self.introspection.issuer
        try:
            token = jwt.decode(access_token, await self._key_set(access_token), algorithms=["ES256"])
        except (JoseError, ValueError, TypeError):
            raise Refused("invalid_token", INACTIVE) from None
        claims = token.claims
        if token.header.get("typ") != "at+jwt" or claims.get("iss") != issuer or claims.get("aud") != issuer + "/api":
            raise Refused("invalid_token", "the access token is not one Renkei issued for this API")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self.clock() or not isinstance(claims.get("sub"), str):
            raise Refused("invalid_token", INACTIVE)
        return claims

    async def _key_set(self, access_token: str) -> KeySet:
        try:
            kid = jws.extract_compact(access_token.encode()).headers().get("kid")
        except (JoseError, ValueError, TypeError):
            raise Refused("invalid_token", INACTIVE) from None
        if self.keys is None or (kid and not any(key.kid == kid for key in self.keys.keys)):
            response = await self.introspection.http.get(self.introspection.issuer + "/jwks")
            self.keys = KeySet.import_key_set(response.json())
        return self.keys
