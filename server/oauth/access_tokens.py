"""Access tokens as JWTs (RFC 9068), signed by the server's first key.

``sub`` is an opaque subject derived from the grant: never the account number,
and different for every grant, so two apps cannot link one customer. ``aud`` is
the bank API (``<public_url>/api``). ``cnf.jkt`` binds a DPoP token to the
client's key (RFC 9449 §6.1); ``grant`` names the grant so revocation can reach
every token issued from it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from joserfc import jwt

from server.oauth.jwt_tokens import SigningKeyFile, SigningKeys
from server.settings import Settings

TOKEN_TYPE_HEADER = "at+jwt"


@dataclass(frozen=True)
class AccessToken:
    value: str
    jti: str
    issued_at: datetime
    expires_at: datetime


def resource_audience(settings: Settings) -> str:
    """The bank API that accepts our access tokens."""
    return settings.public_url + "/api"


def subject_for_grant(grant_id: UUID) -> str:
    digest = hashlib.sha256(b"renkei-subject:" + grant_id.bytes).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def issue_access_token(
    keys: SigningKeys | SigningKeyFile, settings: Settings, *, grant_id: UUID, client_id: str, scopes: list[str],
    jkt: str | None, authenticated_at: datetime, grant_expires_at: datetime, now: datetime,
) -> AccessToken:
    """A token living access_token_seconds, never beyond the grant."""
    expires_at = min(now + timedelta(seconds=settings.policy.access_token_seconds), grant_expires_at)
    jti = secrets.token_urlsafe(18)
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": subject_for_grant(grant_id),
        "aud": resource_audience(settings),
        "client_id": client_id,
        "scope": " ".join(scopes),
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "auth_time": int(authenticated_at.timestamp()),
        "grant": str(grant_id),
    }
    if jkt:
        claims["cnf"] = {"jkt": jkt}
    value = keys.sign({"typ": TOKEN_TYPE_HEADER}, claims)
    return AccessToken(value=value, jti=jti, issued_at=now, expires_at=expires_at)


def verify_access_token(keys: SigningKeys | SigningKeyFile, settings: Settings, value: str, *, now: datetime) -> dict[str, Any] | None:
    """The claims of a live token we issued (signature, typ, iss, aud, exp); None otherwise.

    Revocation is checked by the caller (server.oauth.revocation)."""
    token = keys.verify(value)
    return live_claims(token, settings, now=now) if token is not None else None


def live_claims(token: jwt.Token, settings: Settings, *, now: datetime) -> dict[str, Any] | None:
    """The claims of a token whose signature verified, if it is one of our live access tokens."""
    if token.header.get("typ") != TOKEN_TYPE_HEADER:
        return None
    claims = token.claims
    if claims.get("iss") != settings.issuer or claims.get("aud") != resource_audience(settings):
        return None
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= now.timestamp():
        return None
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("grant"), str):
        return None
    return claims
