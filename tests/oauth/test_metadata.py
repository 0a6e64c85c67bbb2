"""The discovery document and /jwks, as a client library reads them."""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata


async def test_the_metadata_document_validates_with_authlib_and_names_our_endpoints(client, server):
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    document = response.json()
    AuthorizationServerMetadata(document).validate()
    assert document["issuer"] == server.url
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "pushed_authorization_request_endpoint",
                 "introspection_endpoint", "revocation_endpoint"):
        assert document[name].startswith(server.url + "/"), name
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert "none" not in document["token_endpoint_auth_signing_alg_values_supported"]


async def test_jwks_publishes_the_public_part_of_every_signing_key_and_nothing_private(client):
    keys = (await client.get("/jwks")).json()["keys"]
    assert keys and all(k["kty"] == "EC" and k["kid"] and "d" not in k for k in keys)
