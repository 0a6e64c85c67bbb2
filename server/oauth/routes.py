"""The OAuth endpoints of the token side, and what each process prepares for them."""

from __future__ import annotations

import httpx
from starlette.routing import Route

from server.oauth.client_keys import ClientKeys
from server.oauth.jwt_tokens import load_signing_keys
from server.oauth.metadata import DISCOVERY_PATH, jwks_document, metadata_document
from server.oauth.token import token
from server.runtime import Runtime


async def startup(runtime: Runtime) -> None:
    runtime.extras["signing_keys"] = load_signing_keys(runtime.settings)
    http = httpx.AsyncClient(headers={"User-Agent": "renkei"})
    runtime.exit_stack.push_async_callback(http.aclose)
    runtime.extras["client_keys"] = ClientKeys(http)


routes = [
    Route(DISCOVERY_PATH, metadata_document, methods=["GET"]),
    Route("/jwks", jwks_document, methods=["GET"]),
    Route("/token", token, methods=["POST"]),
]
