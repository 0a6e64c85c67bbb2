"""A client's public keys: its inline JWKS, or the JWKS at its jwks_uri.

Fetched keys are kept for a few minutes per process, and fetched again early
when an assertion names a kid we do not hold (the client rolled its keys), but
at most once every few seconds so a stream of bad assertions cannot turn us
into a tool that hammers the client's server. Public keys are not flow state:
each process may hold its own copy.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet

from server.logs import get_logger

log = get_logger(__name__)

CACHE_SECONDS = 300.0
REFETCH_AFTER_SECONDS = 10.0
FETCH_TIMEOUT_SECONDS = 3.0
MAX_JWKS_BYTES = 64 * 1024


@dataclass
class _Cached:
    key_set: KeySet
    fetched_at: float


def import_public_keys(document: Any) -> KeySet | None:
    """The key set, or None when it cannot be read or holds a key too weak for FAPI 2.0."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", SecurityWarning)  # joserfc's warning about a short key
            return KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError, KeyError, SecurityWarning):
        return None


class ClientKeys:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._cache: dict[str, _Cached] = {}

    async def key_set(self, client: Any, kid: str | None) -> KeySet | None:
        """The client's keys, or None when it has none we can read."""
        if client["jwks"] is not None:
            return import_public_keys(client["jwks"])
        uri = client["jwks_uri"]
        if not uri:
            return None
        cached = self._cache.get(uri)
        age = time.monotonic() - cached.fetched_at if cached else None
        if cached and age is not None and (age < REFETCH_AFTER_SECONDS or (age < CACHE_SECONDS and _knows(cached.key_set, kid))):
            return cached.key_set
        fetched = await self._fetch(uri)
        if fetched is not None:
            self._cache[uri] = _Cached(fetched, time.monotonic())
            return fetched
        return cached.key_set if cached else None

    async def _fetch(self, uri: str) -> KeySet | None:
        try:
            response = await self.http.get(uri, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False)
        except httpx.HTTPError as error:
            log.warning("client_jwks.unreachable", uri=uri, error=type(error).__name__)
            return None
        if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
            log.warning("client_jwks.refused", uri=uri, status=response.status_code)
            return None
        try:
            return import_public_keys(response.json())
        except ValueError:
            return None


def _knows(key_set: KeySet, kid: str | None) -> bool:
    return kid is None or any(key.kid == kid for key in key_set.keys)
