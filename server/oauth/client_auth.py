"""Client authentication at /par, /token, /revoke and /introspect.

- ``client_secret_basic`` (RFC 6749 §2.3.1), for sandbox apps and resource
  servers: the secret's SHA-256 digest compared in constant time;
  ``client_secret_post`` with the same secret for sandbox apps only. After
  `renkei clients rotate-secret` the replaced secret works too until its end
  time (server.policy.client_secrets); its use is logged, so the operator sees
  whether the app has moved over.
- ``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9), for FAPI 2.0 apps and the
  resource servers registered with keys: an
  assertion signed by one of the client's keys, iss = sub = client_id, not
  expired, its jti used once, and ``aud`` exactly our issuer identifier as a
  string (FAPI 2.0 final §5.3.2.1-8). Endpoint URLs and arrays are refused: an
  assertion a client made for another server whose metadata named one of our
  endpoint URLs would otherwise be accepted here (the "audience injection"
  attack behind draft-ietf-oauth-rfc7523bis).

Each client uses exactly the method it registered with, and one method per
request (RFC 6749 §2.3). Only a client that tried HTTP Basic is answered
with a ``Basic`` challenge.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import asyncpg
from starlette.requests import Request

from server.clock import tokyo_iso
from server.db.tokens import remember_once
from server.hashing import token_digest
from server.logs import get_logger
from server.oauth.client_cache import ClientCache
from server.oauth.errors import InvalidClient, InvalidRequest, OAuthError
from server.oauth.signed_jwt import is_time, signed_by_any, unverified_parts
from server.policy.client_secrets import CURRENT, PREVIOUS, secret_matched
from server.runtime import Runtime
from server.web.database import connection

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# A resource server still on its previous secret introspects on every call to the bank's API:
# its use is logged at most this often per client and process.
PREVIOUS_SECRET_NOTICE_EVERY = timedelta(minutes=1)
# An assertion issued this far ahead of our clock is refused (clock skew allowance).
IAT_LEEWAY = timedelta(seconds=60)
# Its jti is remembered until it expires, so its lifetime is bounded.
MAX_ASSERTION_LIFETIME = timedelta(days=1)

log = get_logger(__name__)


async def authenticated_client(request: Request, form: dict[str, str], conn: asyncpg.Connection | None, *, kind: str,
                               refusal: OAuthError) -> asyncpg.Record:
    """The client that sent the form; ``refusal`` when it is not of ``kind``.

    ``conn`` None: a connection is taken only if the database must be asked
    (a client not in memory yet, a client assertion's jti to record).
    """
    client = await authenticate_client(request, form, request.app.state.runtime, conn)
    if client["kind"] != kind:
        raise refusal
    return client


async def authenticate_client(request: Request, form: dict[str, str], runtime: Runtime,
                              conn: asyncpg.Connection | None) -> asyncpg.Record:
    """The authenticated client (app or resource server); InvalidClient otherwise."""
    basic = request.headers.get("authorization")
    assertion, posted_secret = form.get("client_assertion"), form.get("client_secret")
    if sum(map(bool, (basic, assertion, posted_secret))) > 1:
        raise InvalidRequest("use one client authentication method per request")
    try:
        client = await _by_method(form, runtime, conn, basic=basic, assertion=assertion, posted_secret=posted_secret)
        if form.get("client_id", client["client_id"]) != client["client_id"]:
            raise InvalidClient("client_id does not match the authenticated client")
    except InvalidClient as failed:
        raise failed if basic else failed.without_challenge()
    return client


async def _by_method(form: dict[str, str], runtime: Runtime, conn: asyncpg.Connection | None, *, basic: str | None,
                     assertion: str | None, posted_secret: str | None) -> asyncpg.Record:
    if basic:
        client_id, secret = parse_basic(basic)
        return await _by_secret(runtime, conn, client_id, secret)
    if assertion:
        return await _by_assertion(form, runtime, conn)
    if posted_secret:
        return await _by_posted_secret(runtime, conn, form.get("client_id") or "", posted_secret)
    raise InvalidClient("client authentication is required")


async def _by_posted_secret(runtime: Runtime, conn: asyncpg.Connection | None, client_id: str, secret: str) -> asyncpg.Record:
    """client_secret_post (RFC 6749 §2.3.1), for sandbox apps only: some client libraries send it by default."""
    client = await _by_secret(runtime, conn, client_id, secret)
    if client["kind"] != "app" or client["profile"] != "sandbox":
        raise InvalidClient("client_secret_post is for sandbox apps only; send the secret with HTTP Basic",
                            detail=f"client_id={client_id[:64]!r} post")
    return client


def parse_basic(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: Basic base64(urlencode(client_id) ":" urlencode(secret))."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise InvalidClient("use HTTP Basic or private_key_jwt to authenticate")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("the Basic credentials are not valid base64") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("the Basic credentials must be client_id:client_secret")
    return unquote_plus(client_id), unquote_plus(secret)


@asynccontextmanager
async def _connection(runtime: Runtime, conn: asyncpg.Connection | None) -> AsyncIterator[asyncpg.Connection]:
    if conn is not None:
        yield conn
    else:
        async with connection(runtime) as own:
            yield own


async def _client(runtime: Runtime, conn: asyncpg.Connection | None, client_id: str) -> asyncpg.Record | None:
    """The enabled client, from this process's memory when it can be (server.oauth.client_cache)."""
    clients: ClientCache = runtime.extras["clients"]
    if (known := clients.remembered(client_id)) is not None:
        return known
    async with _connection(runtime, conn) as db:
        return await clients.client(db, client_id)


async def _by_secret(runtime: Runtime, conn: asyncpg.Connection | None, client_id: str, secret: str) -> asyncpg.Record:
    client = await _client(runtime, conn, client_id)
    used = secret_used(client, secret, runtime.clock.now())  # compared even for an unknown client: the same time either way
    if client is None or used is None:
        raise InvalidClient("client authentication failed", detail=f"client_id={client_id[:64]!r} basic")
    if used == PREVIOUS:
        _note_previous_secret(runtime, client)
    return client


def secret_used(client: asyncpg.Record | None, secret: str, now: datetime) -> str | None:
    """Which of this client_secret_basic client's secrets this is (CURRENT, or PREVIOUS until its end), or None.

    Compared in constant time, known client or not, current and previous alike."""
    ends_at = client["previous_secret_ends_at"] if client is not None else None
    used = secret_matched(token_digest(secret), _stored(client, "secret_digest"), _stored(client, "previous_secret_digest"),
                          ends_at, now)
    return used if client is not None and client["auth_method"] == "client_secret_basic" else None


def _stored(client: asyncpg.Record | None, column: str) -> bytes | None:
    return bytes(client[column]) if client is not None and client[column] is not None else None


def _note_previous_secret(runtime: Runtime, client: asyncpg.Record) -> None:
    """Log (never the secret) that the client used its previous secret: the app has not moved over yet."""
    now, client_id = runtime.clock.now(), client["client_id"]
    noticed: dict[str, datetime] = runtime.extras.setdefault("previous_secret_noticed", {})
    if client_id in noticed and now - noticed[client_id] < PREVIOUS_SECRET_NOTICE_EVERY:
        return
    noticed[client_id] = now
    log.info("client.previous_secret_used", client_id=client_id, until=tokyo_iso(client["previous_secret_ends_at"]))  # a field named *secret* is redacted


def remembered_basic_client(runtime: Runtime, authorization: str) -> asyncpg.Record | None:
    """The client these Basic credentials authenticate, if this process remembers it; None for anything else.

    None says nothing either way: the caller hands the request to the full check, which decides and logs."""
    try:
        client_id, secret = parse_basic(authorization)
    except OAuthError:
        return None
    client = runtime.extras["clients"].remembered(client_id)
    # The previous secret is left to the full check, which logs its use.
    return client if client is not None and secret_used(client, secret, runtime.clock.now()) == CURRENT else None


async def _by_assertion(form: dict[str, str], runtime: Runtime, conn: asyncpg.Connection | None) -> asyncpg.Record:
    if form.get("client_assertion_type") != JWT_BEARER:
        raise InvalidClient(f"client_assertion_type must be {JWT_BEARER}")
    assertion = form["client_assertion"]
    parts = unverified_parts(assertion)
    if parts is None:
        raise InvalidClient("the client assertion is not a signed JWT")
    header, claims = parts
    client_id = claims.get("iss")
    # A NUL inside the base64 body reaches no form check, and PostgreSQL refuses it in text.
    usable = isinstance(client_id, str) and "\x00" not in client_id
    client = await _client(runtime, conn, client_id) if usable else None
    if client is None or client["auth_method"] != "private_key_jwt":
        raise InvalidClient("client authentication failed", detail=f"assertion iss={str(client_id)[:64]!r}")
    key_set = await runtime.extras["client_keys"].key_set(client, header.get("kid"))
    if key_set is None or not signed_by_any(assertion, key_set, header):
        raise InvalidClient("the client assertion's signature does not verify with the client's keys")
    now = runtime.clock.now()
    check_assertion_claims(claims, client_id=client["client_id"], issuer=runtime.settings.issuer, now=now)
    expires = datetime.fromtimestamp(claims["exp"], now.tzinfo)
    async with _connection(runtime, conn) as db:
        first_use = await remember_once(db, f"client_assertion:{client_id}:{claims['jti']}", seen_at=now, forget_after=expires)
    if not first_use:
        raise InvalidClient("the client assertion was already used (jti)")
    return client


def check_assertion_claims(claims: dict[str, Any], *, client_id: str, issuer: str, now: datetime) -> None:
    """RFC 7523 §3 claim checks with FAPI 2.0's audience rule, on our clock."""
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise InvalidClient("the client assertion's iss and sub must both be the client_id")
    if claims.get("aud") != issuer:
        raise InvalidClient(f"the client assertion's aud must be the issuer identifier {issuer} as a string")
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not is_time(exp) or exp <= now.timestamp():
        raise InvalidClient("the client assertion has expired or has no exp")
    if exp > (now + MAX_ASSERTION_LIFETIME).timestamp():
        raise InvalidClient("the client assertion lives too long (exp more than a day ahead)")
    if (iat is not None and (not is_time(iat) or iat > (now + IAT_LEEWAY).timestamp())) or (
        nbf is not None and (not is_time(nbf) or nbf > (now + IAT_LEEWAY).timestamp())
    ):
        raise InvalidClient("the client assertion is not valid yet (iat/nbf)")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
        raise InvalidClient("the client assertion needs a jti of 8 to 256 characters")
