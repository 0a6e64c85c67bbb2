"""The whole journey an app maker's code takes, with a standard client library (authlib's
AsyncOAuth2Client): registration with the `renkei` command, discovery, PAR, the customer's six
screens over real HTTP with a real signed Twilio call, the code exchange, a refresh,
introspection by a resource server, and revocation; for a sandbox app and for a FAPI 2.0 app
(private_key_jwt + DPoP)."""

from __future__ import annotations

import json
import warnings
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from tests.cli.conftest import cheap_config, renkei  # noqa: F401 - the real `renkei` command, as fixtures
from tests.flow.walk import Account, Customer, create_account
from tests.oauth.factories import App, assertion_form, dpop_proof, new_key

with warnings.catch_warnings():
    # authlib's httpx integration prefers the httpx2 package and says so on import; httpx is what Renkei ships.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

FORM_HEADERS = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
SCOPE = "accounts:read transactions:read"


def register(renkei, *args: str) -> dict:  # noqa: F811
    done = renkei("clients", "add", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
async def world(server, db, settings, renkei):  # noqa: F811
    """The discovery document, Taro's account, and a resource server's credentials."""
    taro = await create_account(db, settings)
    async with httpx.AsyncClient(base_url=server.url) as http:
        metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == server.url
    rs = register(renkei, "--kind", "resource-server", "--name", "残高照会API")
    return metadata, (rs["client_id"], rs["client_secret"]), taro


async def push(metadata: dict, form: dict, *, auth=None, headers=None) -> str:  # type: ignore[no-untyped-def]
    """RFC 9126 (authlib's client has no PAR helper): the authorization URL for the browser."""
    async with httpx.AsyncClient() as http:
        response = await http.post(metadata["pushed_authorization_request_endpoint"], data=form, auth=auth, headers=headers)
    assert response.status_code == 201, response.text
    query = urlencode({"client_id": form.get("client_id") or auth[0], "request_uri": response.json()["request_uri"]})
    return f"{metadata['authorization_endpoint']}?{query}"


async def customer_approves(server, authorization_url: str, taro: Account) -> str:  # type: ignore[no-untyped-def]
    """Taro, in the app's browser view: screens ① to ⑥, calling from his phone at ④."""
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        started = await http.get(authorization_url)
        assert started.status_code in (302, 303), started.text
        await customer.open(started.headers["location"])
        await customer.through_pin(taro)
        approved = await customer.post("/flow/consent", {"decision": "approve"})
    assert approved.status_code == 303
    return approved.headers["location"]


def authorization_params(app: AsyncOAuth2Client, endpoint: str, verifier: str) -> dict[str, str]:
    url, _ = app.create_authorization_url(endpoint, code_verifier=verifier)
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def introspect(metadata: dict, rs: tuple[str, str], token: str) -> dict:
    async with httpx.AsyncClient() as http:
        return (await http.post(metadata["introspection_endpoint"], data={"token": token}, auth=rs)).json()


def returned(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_a_sandbox_app_goes_from_registration_to_an_introspected_token_and_back(server, renkei, world):  # noqa: F811
    metadata, rs, taro = world
    redirect_uri = "http://127.0.0.1:8080/callback"
    app_credentials = register(renkei, "--name", "家計簿アプリ", "--redirect-uri", redirect_uri)
    async with AsyncOAuth2Client(app_credentials["client_id"], app_credentials["client_secret"], scope=SCOPE,
                                 redirect_uri=redirect_uri, code_challenge_method="S256",
                                 token_endpoint_auth_method="client_secret_basic") as app:
        verifier = generate_token(48)
        params = authorization_params(app, metadata["authorization_endpoint"], verifier)
        url = await push(metadata, params, auth=(app_credentials["client_id"], app_credentials["client_secret"]))
        location = await customer_approves(server, url, taro)
        assert returned(location)["iss"] == metadata["issuer"] and returned(location)["state"] == params["state"]

        token = await app.fetch_token(metadata["token_endpoint"], authorization_response=location, state=params["state"],
                                      code_verifier=verifier)
        assert token["token_type"] == "Bearer"
        answer = await introspect(metadata, rs, token["access_token"])
        assert answer["active"] is True and answer["account"] == "001-1-1234567" and answer["scope"] == SCOPE

        refreshed = await app.refresh_token(metadata["token_endpoint"])
        assert refreshed["refresh_token"] != token["refresh_token"]
        await app.revoke_token(metadata["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
    assert await introspect(metadata, rs, refreshed["access_token"]) == {"active": False}


class PrivateKeyJWTOnServerTime(PrivateKeyJWT):
    """authlib's private_key_jwt, dated by the server's (frozen) clock, with a fresh jti each time."""

    def __init__(self, issuer: str, clock) -> None:  # type: ignore[no-untyped-def]
        super().__init__(issuer, alg="ES256")
        self.clock = clock

    def sign(self, auth, token_endpoint):  # type: ignore[no-untyped-def]
        now = int(self.clock.now().timestamp())
        self.claims = {"iat": now, "exp": now + 60, "jti": generate_token(24)}
        return super().sign(auth, token_endpoint)


async def test_a_fapi2_app_goes_through_with_private_key_jwt_par_and_dpop(server, renkei, world, clock, tmp_path):  # noqa: F811
    metadata, rs, taro = world
    signing_key, dpop_key = new_key(), new_key()
    jwks_file = tmp_path / "app-jwks.json"
    jwks_file.write_text(json.dumps({"keys": [signing_key.as_dict(private=False)]}))
    redirect_uri = "https://app.example.jp/callback"
    registered = register(renkei, "--name", "家計簿アプリ Pro", "--profile", "fapi2", "--jwks", str(jwks_file),
                          "--redirect-uri", redirect_uri)
    assert registered["client_secret"] is None
    client_id, issuer, token_url = registered["client_id"], metadata["issuer"], metadata["token_endpoint"]

    def proof(url: str) -> str:
        return dpop_proof(dpop_key, "POST", url, clock.now())

    async with AsyncOAuth2Client(client_id, signing_key, scope=SCOPE, redirect_uri=redirect_uri, code_challenge_method="S256",
                                 token_endpoint_auth_method="private_key_jwt", revocation_endpoint_auth_method="private_key_jwt") as app:
        app.register_client_auth_method(PrivateKeyJWTOnServerTime(issuer, clock))
        verifier = generate_token(48)
        params = authorization_params(app, metadata["authorization_endpoint"], verifier)
        pushed = {**params, **assertion_form(App(client_id, redirect_uri, key=signing_key), audience=issuer, now=clock.now())}
        url = await push(metadata, pushed, headers={"DPoP": proof(metadata["pushed_authorization_request_endpoint"])})
        location = await customer_approves(server, url, taro)
        assert returned(location)["iss"] == issuer

        token = await app.fetch_token(token_url, authorization_response=location, state=params["state"], code_verifier=verifier,
                                      headers={**FORM_HEADERS, "DPoP": proof(token_url)})
        assert token["token_type"] == "DPoP"
        answer = await introspect(metadata, rs, token["access_token"])
        assert answer["active"] is True and answer["cnf"] == {"jkt": dpop_key.thumbprint()}

        clock.advance(seconds=1)
        refreshed = await app.refresh_token(token_url, headers={**FORM_HEADERS, "DPoP": proof(token_url)})
        assert refreshed["refresh_token"] == token["refresh_token"]  # FAPI 2.0: no rotation
        await app.revoke_token(metadata["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token")
    assert await introspect(metadata, rs, refreshed["access_token"]) == {"active": False}
