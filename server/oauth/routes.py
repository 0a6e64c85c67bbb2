"""The OAuth endpoints of the token side, and what each process prepares for them."""

from __future__ import annotations

import httpx
from starlette.routing import Route

from server.oauth.client_cache import ClientCache
from server.oauth.client_keys import ClientKeys
from server.oauth.grant_accounts import GrantAccounts
from server.oauth.housekeeping import start_housekeeping
from server.oauth.introspect import introspect
from server.oauth.jwt_tokens import load_signing_keys
from server.oauth.metadata import DISCOVERY_PATH, jwks_document, metadata_document
from server.oauth.par import pushed_authorization_request
from server.oauth.revocation import RevocationSet
from server.oauth.revoke import revoke
from server.oauth.token import token
from server.runtime import Runtime


async def startup(runtime: Runtime) -> None:
    runtime.extras["signing_keys"] = load_signing_keys(runtime.settings)
    http = httpx.AsyncClient(headers={"User-Agent": "renkei"})
    runtime.exit_stack.push_async_callback(http.aclose)
    runtime.extras["client_keys"] = ClientKeys(http)
    runtime.extras["grant_accounts"] = GrantAccounts()
    clients = ClientCache(runtime.listener, sandbox_apps=runtime.settings.sandbox_apps_allowed)
    await clients.start()
    runtime.exit_stack.push_async_callback(clients.close)
    runtime.extras["clients"] = clients
    revocations = RevocationSet(runtime)
    await revocations.start()
    runtime.exit_stack.push_async_callback(revocations.close)
    runtime.extras["revocations"] = revocations
    await start_housekeeping(runtime)


routes = [
    Route(DISCOVERY_PATH, metadata_document, methods=["GET"]),
    Route("/jwks", jwks_document, methods=["GET"]),
    Route("/par", pushed_authorization_request, methods=["POST"]),
    Route("/token", token, methods=["POST"]),
    Route("/introspect", introspect, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST"]),
]
