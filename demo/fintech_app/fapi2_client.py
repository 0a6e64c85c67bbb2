"""The app's side of FAPI 2.0 with Renkei, one function per call, in the order an app makes them.

1. ``discover``: the server's metadata (RFC 8414), once.
2. ``push_authorization_request``: PAR (RFC 9126) with PKCE S256 (RFC 7636), authenticated by
   private_key_jwt (RFC 7523), and a DPoP proof (RFC 9449) that binds the code to the link's key.
3. the browser goes to ``authorization_url``; the customer passes the bank's six screens.
4. ``exchange_code``: at the callback, after checking ``iss`` (RFC 9207) and ``state``, the code
   for DPoP-bound tokens.
5. ``call_api``: the bank API, with ``Authorization: DPoP`` and a proof naming the token (``ath``).
6. ``refresh``: a new access token when the old one has expired (the refresh token stays: FAPI 2.0).
7. ``revoke``: 連携を解除する.

Every call signs a fresh client assertion and a fresh DPoP proof, and retries once with the
server's nonce when it answers ``use_dpop_nonce``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class ServerSaid(Exception):
    """An OAuth error from Renkei (RFC 6749 §5.2), or a refusal from the bank API (RFC 6750 §3)."""

    def __init__(self, error: str, description: str = "", status: int = 400, retry_after: str | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status, self.retry_after = error, description, status, retry_after


@dataclass(frozen=True)
class Client:
    """Who the app is at the bank, and how it signs."""

    client_id: str
    redirect_uri: str
    scope: str
    key: ECKey  # the app's private key (private_key_jwt); its public half is at the app's jwks_uri
    http: httpx.AsyncClient
    clock: Any = time.time

    def assertion(self, issuer: str) -> dict[str, str]:
        """private_key_jwt: ``aud`` is the issuer identifier, as a string (FAPI 2.0 §5.3.2.1)."""
        now = int(self.clock())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": issuer, "jti": secrets.token_urlsafe(24),
                  "iat": now, "exp": now + 60}
        return {"client_assertion_type": JWT_BEARER,
                "client_assertion": jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.key)}

    def dpop_proof(self, dpop_key: ECKey, method: str, url: str, *, access_token: str | None = None,
                   nonce: str | None = None) -> str:
        claims: dict[str, Any] = {"jti": secrets.token_urlsafe(24), "htm": method, "htu": url, "iat": int(self.clock())}
        if access_token is not None:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": dpop_key.as_dict(private=False)}, claims, dpop_key)


async def discover(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    metadata = (await http.get(issuer + "/.well-known/oauth-authorization-server")).raise_for_status().json()
    if metadata.get("issuer") != issuer:
        raise ServerSaid("invalid_issuer", "the metadata names another issuer")
    return metadata


async def post_with_dpop(client: Client, metadata: dict[str, Any], endpoint: str, form: dict[str, str],
                         dpop_key: ECKey) -> httpx.Response:
    """POST an authenticated form with a DPoP proof; once more with the server's nonce if it asks (RFC 9449 §8)."""
    url, nonce = metadata[endpoint], None
    for _ in range(2):
        body = {**form, "client_id": client.client_id, **client.assertion(metadata["issuer"])}
        headers = {"DPoP": client.dpop_proof(dpop_key, "POST", url, nonce=nonce), "Accept": "application/json"}
        response = await client.http.post(url, data=body, headers=headers)
        answer = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if answer.get("error") == "use_dpop_nonce" and nonce is None and "DPoP-Nonce" in response.headers:
            nonce = response.headers["DPoP-Nonce"]
            continue
        break
    if response.status_code >= 400:
        raise ServerSaid(answer.get("error", "server_error"), answer.get("error_description", ""), response.status_code,
                         response.headers.get("Retry-After"))
    return response


@dataclass(frozen=True)
class PendingLink:
    """What the app keeps (server-side) between sending the customer to the bank and the callback."""

    state: str
    code_verifier: str
    dpop_key: ECKey  # this link's DPoP key: the tokens will be bound to it


async def push_authorization_request(client: Client, metadata: dict[str, Any]) -> tuple[str, PendingLink]:
    """(the URL to send the browser to, what to keep for the callback)."""
    pending = PendingLink(secrets.token_urlsafe(32), secrets.token_urlsafe(64), ECKey.generate_key("P-256", private=True))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest()).rstrip(b"=").decode()
    form = {"response_type": "code", "redirect_uri": client.redirect_uri, "scope": client.scope, "state": pending.state,
            "code_challenge": challenge, "code_challenge_method": "S256"}
    pushed = (await post_with_dpop(client, metadata, "pushed_authorization_request_endpoint", form, pending.dpop_key)).json()
    query = urlencode({"client_id": client.client_id, "request_uri": pushed["request_uri"]})
    return f"{metadata['authorization_endpoint']}?{query}", pending


@dataclass
class Tokens:
    """The link's tokens: kept on the app's server only, never sent to the browser or the phone."""

    access_token: str
    refresh_token: str
    expires_at: float
    scope: str
    dpop_key: ECKey


async def exchange_code(client: Client, metadata: dict[str, Any], code: str, pending: PendingLink) -> Tokens:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri,
            "code_verifier": pending.code_verifier}
    answer = (await post_with_dpop(client, metadata, "token_endpoint", form, pending.dpop_key)).json()
    if answer.get("token_type") != "DPoP":
        raise ServerSaid("invalid_token_type", "the bank sent a token not bound to our DPoP key")
    return Tokens(answer["access_token"], answer["refresh_token"], client.clock() + answer["expires_in"],
                  answer.get("scope", client.scope), pending.dpop_key)


async def refresh(client: Client, metadata: dict[str, Any], tokens: Tokens) -> Tokens:
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    answer = (await post_with_dpop(client, metadata, "token_endpoint", form, tokens.dpop_key)).json()
    return Tokens(answer["access_token"], answer.get("refresh_token", tokens.refresh_token),
                  client.clock() + answer["expires_in"], answer.get("scope", tokens.scope), tokens.dpop_key)


async def revoke(client: Client, metadata: dict[str, Any], tokens: Tokens) -> None:
    """RFC 7009: revoking the refresh token ends the link and every access token of it."""
    form = {"token": tokens.refresh_token, "token_type_hint": "refresh_token"}
    await post_with_dpop(client, metadata, "revocation_endpoint", form, tokens.dpop_key)


async def call_api(client: Client, tokens: Tokens, url: str) -> dict[str, Any]:
    """GET a bank API with the DPoP-bound token; ServerSaid with the challenge's error when refused."""
    proof = client.dpop_proof(tokens.dpop_key, "GET", url, access_token=tokens.access_token)
    response = await client.http.get(url, headers={"Authorization": f"DPoP {tokens.access_token}", "DPoP": proof})
    if response.status_code in (401, 403):
        challenge = response.headers.get("WWW-Authenticate", "")
        error = challenge.split('error="')[1].split('"')[0] if 'error="' in challenge else "invalid_token"
        raise ServerSaid(error, "", response.status_code)
    return response.raise_for_status().json()
