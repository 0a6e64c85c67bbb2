"""Authorization server metadata (RFC 8414): exactly what Renkei supports, nothing more.

Standard client libraries configure themselves from this document, so every
value here is a promise the endpoints keep.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.oauth.scopes import SCOPE_DESCRIPTIONS
from server.settings import Settings

# Client assertions and DPoP proofs: the FAPI 2.0 algorithms (§5.4), no RSA PKCS#1 v1.5, no "none".
ASYMMETRIC_ALGS = ["ES256", "PS256", "EdDSA"]
CLIENT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
# client_secret_post is for sandbox apps only (server.oauth.client_auth); resource servers use the two above.
APP_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
DISCOVERY_PATH = "/.well-known/oauth-authorization-server"


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    url = settings.public_url
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": url + "/authorize",
        "token_endpoint": url + "/token",
        "jwks_uri": url + "/jwks",
        "pushed_authorization_request_endpoint": url + "/par",
        # Required per client (FAPI 2.0 clients), not for every client (RFC 9126 §5).
        "require_pushed_authorization_requests": False,
        "scopes_supported": list(SCOPE_DESCRIPTIONS),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": APP_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASYMMETRIC_ALGS,
        "dpop_signing_alg_values_supported": ASYMMETRIC_ALGS,
        "authorization_response_iss_parameter_supported": True,
        "introspection_endpoint": url + "/introspect",
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASYMMETRIC_ALGS,
        "revocation_endpoint": url + "/revoke",
        "revocation_endpoint_auth_methods_supported": APP_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASYMMETRIC_ALGS,
        "ui_locales_supported": ["ja", "en"],
    }


async def metadata_document(request: Request) -> JSONResponse:
    settings = request.app.state.runtime.settings
    return JSONResponse(authorization_server_metadata(settings), headers={"Cache-Control": "public, max-age=300"})


async def jwks_document(request: Request) -> JSONResponse:
    keys = request.app.state.runtime.extras["signing_keys"]
    # Short, so that a key added for rollover reaches resource servers soon.
    return JSONResponse(keys.public_jwks(), headers={"Cache-Control": "public, max-age=60"})
