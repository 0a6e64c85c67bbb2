"""Clients, accounts, grants, codes, assertions and DPoP proofs for the token-side tests.

Rows are written with SQL (or the other areas' named queries) so each test states
exactly the world it starts from; proofs and assertions are signed with joserfc,
as a client would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from server.hashing import token_digest

REDIRECT_URI = "https://app.example.jp/callback"
SCOPES = ["accounts:read", "transactions:read"]


@dataclass
class App:
    client_id: str
    redirect_uri: str
    secret: str | None = None
    key: ECKey | None = None

    @property
    def basic(self) -> tuple[str, str]:
        assert self.secret is not None
        return (self.client_id, self.secret)


def new_key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


async def add_client(db: asyncpg.Pool, *, client_id: str, kind: str = "app", profile: str = "sandbox",
                     secret: str | None = None, jwks: dict[str, Any] | None = None, jwks_uri: str | None = None,
                     redirect_uris: list[str] | None = None, now: datetime) -> None:
    fapi2 = profile == "fapi2"
    await db.execute(
        """INSERT INTO oauth_client (client_id, kind, name, operator, profile, auth_method, secret_digest, jwks, jwks_uri,
                                     redirect_uris, scopes, require_par, require_dpop, created_at)
           VALUES ($1, $2, $3, 'テスト株式会社', $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)""",
        client_id, kind, f"{client_id} app", profile, "private_key_jwt" if fapi2 else "client_secret_basic",
        token_digest(secret) if secret else None, jwks, jwks_uri,
        redirect_uris if redirect_uris is not None else ([REDIRECT_URI] if kind == "app" else []),
        SCOPES if kind == "app" else [], fapi2, now,
    )


async def add_sandbox_app(db: asyncpg.Pool, now: datetime, client_id: str = "sandbox-app") -> App:
    secret = secrets.token_urlsafe(32)
    await add_client(db, client_id=client_id, secret=secret, now=now)
    return App(client_id, REDIRECT_URI, secret=secret)


async def add_fapi2_app(db: asyncpg.Pool, now: datetime, client_id: str = "fapi2-app", jwks_uri: str | None = None,
                        key: ECKey | None = None) -> App:
    key = key or new_key()
    jwks = None if jwks_uri else {"keys": [key.as_dict(private=False)]}
    await add_client(db, client_id=client_id, profile="fapi2", jwks=jwks, jwks_uri=jwks_uri, now=now)
    return App(client_id, REDIRECT_URI, key=key)


async def add_resource_server(db: asyncpg.Pool, now: datetime, client_id: str = "balance-api") -> App:
    secret = secrets.token_urlsafe(32)
    await add_client(db, client_id=client_id, kind="resource_server", secret=secret, now=now)
    return App(client_id, "", secret=secret)


async def add_account(db: asyncpg.Pool, now: datetime, number: str = "1234567", branch: str = "001") -> int:
    return await db.fetchval(
        """INSERT INTO account (branch_code, account_type, account_number, birth_date, name_kana, phones, pin_hash,
                                cash_card, status, imported_at)
           VALUES ($1, 1, $2, '1980-04-01', 'ヤマダ タロウ', '{+819012345678}', 'x', true, 'active', $3) RETURNING id""",
        branch, number, now,
    )


async def add_grant(db: asyncpg.Pool, *, client_id: str, account_id: int, now: datetime,
                    scopes: list[str] | None = None, dpop_jkt: str | None = None, max_days: int = 90) -> uuid.UUID:
    grant_id = uuid.uuid4()
    await db.execute(
        """INSERT INTO oauth_grant (id, client_id, account_id, scopes, dpop_jkt, authenticated_at, expires_at, last_used_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $6)""",
        grant_id, client_id, account_id, scopes or SCOPES, dpop_jkt, now, now + timedelta(days=max_days),
    )
    return grant_id


@dataclass
class Code:
    value: str
    verifier: str
    grant_id: uuid.UUID


async def add_code(db: asyncpg.Pool, app: App, *, account_id: int, now: datetime, dpop_jkt: str | None = None,
                   lifetime_seconds: int = 60) -> Code:
    """A grant and its authorization code, as the consent screen leaves them."""
    grant_id = await add_grant(db, client_id=app.client_id, account_id=account_id, now=now, dpop_jkt=dpop_jkt)
    code, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    await db.execute(
        """INSERT INTO authorization_code (code_digest, grant_id, client_id, redirect_uri, code_challenge, dpop_jkt,
                                           issued_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        token_digest(code), grant_id, app.client_id, app.redirect_uri, create_s256_code_challenge(verifier),
        dpop_jkt, now, now + timedelta(seconds=lifetime_seconds),
    )
    return Code(code, verifier, grant_id)


def client_assertion(app: App, *, audience: str | list[str], now: datetime, jti: str | None = None,
                     lifetime_seconds: int = 60, key: ECKey | None = None, **claims: Any) -> str:
    body = {"iss": app.client_id, "sub": app.client_id, "aud": audience, "jti": secrets.token_urlsafe(16) if jti is None else jti,
            "iat": int(now.timestamp()), "exp": int(now.timestamp()) + lifetime_seconds, **claims}
    signer = key or app.key
    assert signer is not None
    return jwt.encode({"alg": "ES256", "kid": signer.kid}, body, signer)


def assertion_form(app: App, *, audience: str, now: datetime, **claims: Any) -> dict[str, str]:
    return {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(app, audience=audience, now=now, **claims),
    }


def dpop_proof(key: ECKey, method: str, url: str, now: datetime, *, jti: str | None = None,
               access_token: str | None = None, nonce: str | None = None, alg: str = "ES256",
               typ: str = "dpop+jwt", jwk: dict[str, Any] | None = None) -> str:
    claims: dict[str, Any] = {"jti": jti or secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(now.timestamp())}
    if access_token is not None:
        claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
    if nonce is not None:
        claims["nonce"] = nonce
    header = {"typ": typ, "alg": alg, "jwk": jwk or key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=[alg])


def key_set(*keys: ECKey) -> KeySet:
    return KeySet(list(keys))
