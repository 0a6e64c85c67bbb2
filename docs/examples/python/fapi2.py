"""A complete FAPI 2.0 integration with Renkei in Python: authlib, joserfc and httpx.

The steps an app's backend takes, in order: discovery; a pushed authorization request (PAR)
with PKCE S256, private_key_jwt and a DPoP proof; the customer on the bank's screens; the
callback's ``iss`` and ``state`` checked; the code exchanged with a DPoP proof; the bank API
called with the DPoP-bound token; a refresh; revocation (連携を解除する).

What authlib needs for Renkei:
- private_key_jwt with ``aud`` = the issuer identifier, as a string (FAPI 2.0 §5.3.2.1):
  authlib's ``PrivateKeyJWT`` puts the token endpoint URL there by default, so give it the
  issuer: ``PrivateKeyJWT(issuer, alg="ES256")``. (requests-oauth2client:
  ``PrivateKeyJwt(client_id, private_jwk, aud=issuer)``.)
- PAR (RFC 9126) and DPoP (RFC 9449) are not in authlib: the push is one POST, and a proof
  is one JWT signed with joserfc; both are written out below.
- the ``DPoP-Nonce`` of Renkei's last answer goes into the next proof: a proof with a fresh
  nonce may carry an ``iat`` up to 5 minutes off, so a backend whose clock drifts still works.

Run it (the bank registered the app with the public half of CLIENT_KEY_FILE):
    RENKEI_ISSUER=https://renkei.example-bank.jp CLIENT_ID=app-… CLIENT_KEY_FILE=key.json \\
    REDIRECT_URI=https://app.example.jp/callback BANK_API_URL=https://api.example-bank.jp \\
    python docs/examples/python/fapi2.py
It prints the URL to open in the customer's browser, then reads the URL the browser was sent
back to (in an app: the request your redirect URI receives) from standard input, and prints
what the bank API said. tests/examples/test_python_example.py runs it against a real server.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import warnings
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jwt
from joserfc.jwk import ECKey

with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)  # authlib suggests httpx2; httpx is fine
    from authlib.integrations.httpx_client import AsyncOAuth2Client

SCOPE = "accounts:read transactions:read"


class DpopKey:
    """This link's DPoP key (RFC 9449), and the latest DPoP-Nonce the server sent."""

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256", private=True)
        self.nonce: str | None = None

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims = {"jti": secrets.token_urlsafe(24), "htm": method, "htu": url, "iat": int(time.time())}
        if access_token:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
        if self.nonce:
            claims["nonce"] = self.nonce
        return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}, claims, self.key)

    async def remember_nonce(self, response: httpx.Response) -> None:
        self.nonce = response.headers.get("DPoP-Nonce", self.nonce)


async def discover(issuer: str) -> dict:
    async with httpx.AsyncClient() as http:
        metadata = (await http.get(issuer + "/.well-known/oauth-authorization-server")).raise_for_status().json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == issuer, "the metadata must name the issuer we asked"
    return metadata


async def main() -> None:
    issuer, client_id, redirect_uri = os.environ["RENKEI_ISSUER"], os.environ["CLIENT_ID"], os.environ["REDIRECT_URI"]
    with open(os.environ["CLIENT_KEY_FILE"], encoding="utf-8") as file:
        client_key = ECKey.import_key(json.load(file))  # private_key_jwt; never in the mobile app
    metadata, dpop = await discover(issuer), DpopKey()
    form_headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": "application/json"}

    async with AsyncOAuth2Client(client_id, client_key, scope=SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256",
                                 token_endpoint_auth_method="private_key_jwt",
                                 revocation_endpoint_auth_method="private_key_jwt") as app:
        app.register_client_auth_method(PrivateKeyJWT(issuer, alg="ES256"))  # aud = the issuer string
        app.event_hooks["response"].append(dpop.remember_nonce)

        # 1. PAR: the authorization request, with PKCE and client authentication, pushed from the backend.
        verifier = generate_token(64)
        url, state = app.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
        request = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assertion = private_key_jwt_sign(client_key, client_id, issuer, alg="ES256")
        par_url = metadata["pushed_authorization_request_endpoint"]
        async with httpx.AsyncClient(event_hooks={"response": [dpop.remember_nonce]}) as http:
            pushed = await http.post(par_url, headers={"DPoP": dpop.proof("POST", par_url)}, data={
                **request, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion})
        pushed.raise_for_status()
        print(metadata["authorization_endpoint"] + "?" + urlencode({"client_id": client_id,
                                                                    "request_uri": pushed.json()["request_uri"]}), flush=True)

        # 2. The customer's browser comes back to the redirect URI: iss first (RFC 9207), then state.
        callback = sys.stdin.readline().strip()
        answer = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
        if answer.get("iss") != issuer or not hmac.compare_digest(answer.get("state", ""), state):
            raise SystemExit("refused: the callback's iss or state is not ours")
        if "error" in answer:
            raise SystemExit(f"the customer did not link: {answer['error']}")

        # 3. The code for DPoP-bound tokens (keep them on the backend).
        token_url = metadata["token_endpoint"]
        token = await app.fetch_token(token_url, authorization_response=callback, state=state, code_verifier=verifier,
                                      headers={**form_headers, "DPoP": dpop.proof("POST", token_url)})
        assert token["token_type"] == "DPoP"

        # 4. The bank API: Authorization: DPoP, and a proof naming this request and the token (ath).
        result = {"token_type": token["token_type"], "scope": token["scope"]}
        if bank := os.environ.get("BANK_API_URL"):
            async with httpx.AsyncClient() as http:
                for path in ("/accounts/me", "/accounts/me/transactions"):
                    access = token["access_token"]
                    response = await http.get(bank + path, headers={
                        "Authorization": f"DPoP {access}", "DPoP": dpop.proof("GET", bank + path, access)})
                    result[path] = response.raise_for_status().json()

        # 5. A new access token when the old one expires; the refresh token stays (FAPI 2.0).
        refreshed = await app.refresh_token(token_url, headers={**form_headers, "DPoP": dpop.proof("POST", token_url)})
        result["refresh_token_kept"] = refreshed["refresh_token"] == token["refresh_token"]

        # 6. 連携を解除する: revoking the refresh token ends the link at the bank.
        await app.revoke_token(metadata["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token")
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
