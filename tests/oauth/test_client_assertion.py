"""private_key_jwt (RFC 7523) for FAPI 2.0 apps, at /par: what a client assertion must be."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import RunningServer, free_port
from tests.oauth.factories import add_fapi2_app, add_sandbox_app, assertion_form, client_assertion, new_key
from tests.oauth.test_par import pushed


@pytest.fixture
async def fapi2(db, clock):
    return await add_fapi2_app(db, clock.now())


async def push(client, app, assertion_fields):
    return await client.post("/par", data={**pushed(), **assertion_fields})


async def test_a_fapi2_app_authenticates_with_an_assertion_whose_audience_is_the_issuer(client, server, clock, fapi2):
    response = await push(client, fapi2, assertion_form(fapi2, audience=server.url, now=clock.now()))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("audience", ["token endpoint", "par endpoint", "a list holding the issuer", "another server"])
async def test_an_assertion_whose_audience_is_not_exactly_the_issuer_string_is_refused(client, server, clock, fapi2, audience):
    # FAPI 2.0 final §5.3.2.1-8: the issuer identifier, as a string, and nothing else (audience injection).
    aud = {"token endpoint": server.url + "/token", "par endpoint": server.url + "/par",
           "a list holding the issuer": [server.url], "another server": "https://other-bank.example"}[audience]
    response = await push(client, fapi2, assertion_form(fapi2, audience=aud, now=clock.now()))
    assert response.status_code == 401 and "issuer identifier" in response.json()["error_description"]


async def test_a_replayed_client_assertion_is_refused(client, server, clock, fapi2):
    fields = assertion_form(fapi2, audience=server.url, now=clock.now())
    assert (await push(client, fapi2, fields)).status_code == 201
    replay = await push(client, fapi2, fields)
    assert replay.status_code == 401 and "already used" in replay.json()["error_description"]


async def test_an_expired_client_assertion_is_refused(client, server, clock, fapi2):
    fields = assertion_form(fapi2, audience=server.url, now=clock.now(), lifetime_seconds=30)
    clock.advance(seconds=31)
    response = await push(client, fapi2, fields)
    assert response.status_code == 401 and "expired" in response.json()["error_description"]


def hs256_assertion(app, server_url, now):
    secret = OctKey.import_key("a-shared-secret-nobody-registered-32b")
    claims = {"iss": app.client_id, "sub": app.client_id, "aud": server_url, "jti": "j" * 16,
              "exp": int(now.timestamp()) + 60}
    return jwt.encode({"alg": "HS256"}, claims, secret)


@pytest.mark.parametrize(
    "case",
    ["another key signed it", "iss is not sub", "an empty jti", "HS256", "not a JWT", "lives a week",
     "the wrong assertion type"],
)
async def test_a_bad_client_assertion_gets_401_invalid_client_when(client, server, clock, fapi2, case):
    now = clock.now()
    fields = assertion_form(fapi2, audience=server.url, now=now)
    if case == "another key signed it":
        fields["client_assertion"] = client_assertion(fapi2, audience=server.url, now=now, key=new_key())
    elif case == "iss is not sub":
        fields["client_assertion"] = client_assertion(fapi2, audience=server.url, now=now, sub="someone-else")
    elif case == "an empty jti":
        fields["client_assertion"] = client_assertion(fapi2, audience=server.url, now=now, jti="")
    elif case == "HS256":
        fields["client_assertion"] = hs256_assertion(fapi2, server.url, now)
    elif case == "not a JWT":
        fields["client_assertion"] = "not-a-jwt"
    elif case == "lives a week":
        fields["client_assertion"] = client_assertion(fapi2, audience=server.url, now=now, lifetime_seconds=7 * 86400)
    else:
        fields["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    response = await push(client, fapi2, fields)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    # No Basic challenge for a client that never tried Basic: oauth4webapi would report a challenge, not this error.
    assert "www-authenticate" not in response.headers


async def test_a_sandbox_app_cannot_switch_to_an_assertion_nor_a_fapi2_app_to_a_secret(client, db, server, clock, fapi2):
    sandbox = await add_sandbox_app(db, clock.now())
    sandbox.key = new_key()
    response = await push(client, sandbox, assertion_form(sandbox, audience=server.url, now=clock.now()))
    assert response.status_code == 401
    response = await client.post("/par", data=pushed(), auth=(fapi2.client_id, "guess"))
    assert response.status_code == 401


@pytest.fixture
async def jwks_host():
    """The app maker's own web server publishing its JWKS."""
    published: dict = {"keys": []}
    app = Starlette(routes=[Route("/jwks.json", lambda request: JSONResponse(published))])
    host = RunningServer(app, free_port())
    await host.start()
    yield host, published
    await host.stop()


async def test_keys_are_fetched_from_the_jwks_uri_and_fetched_again_when_the_app_rolls_its_key(client, db, server, clock, jwks_host):
    host, published = jwks_host
    first, second = new_key(), new_key()
    published["keys"] = [first.as_dict(private=False)]
    app = await add_fapi2_app(db, clock.now(), jwks_uri=host.url + "/jwks.json", key=first)
    assert (await push(client, app, assertion_form(app, audience=server.url, now=clock.now()))).status_code == 201
    published["keys"] = [second.as_dict(private=False)]
    app.key = second
    stale = server.runtime.extras["client_keys"]._cache[host.url + "/jwks.json"]
    stale.fetched_at -= 11  # the unknown kid may be fetched again after 10 s
    assert (await push(client, app, assertion_form(app, audience=server.url, now=clock.now()))).status_code == 201


@pytest.mark.parametrize("endpoint", ["/par", "/token"])
async def test_an_assertion_whose_issuer_hides_a_nul_character_is_refused_not_a_server_error(client, server, clock, fapi2, endpoint):
    fields = assertion_form(fapi2, audience=server.url, now=clock.now(), iss=fapi2.client_id + "\x00")
    data = {**pushed(), **fields} if endpoint == "/par" else {"grant_type": "refresh_token", "refresh_token": "x", **fields}
    response = await client.post(endpoint, data=data)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
