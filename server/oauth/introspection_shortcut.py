"""/introspect answered from memory, ahead of the middleware every other request passes.

A bank's resource servers introspect on every API call they serve: thousands a
second, for the same tokens over and over. Once the full endpoint has answered
for a resource server and a token, this process holds all the answer needs: the
client (server.oauth.client_cache), the verified token (server.oauth.jwt_tokens),
the grant's account (server.oauth.grant_accounts) and the revocation set. The
middleware does nothing for such a request that this does not: the request id,
the API headers and the metrics are here; the screens' maintenance gate and NUL
check never apply to a token we signed; admission control guards the database
and the event loop, and this answer uses neither for longer than it takes to
compute. So the request is answered here, and each token's answer is kept
serialised (its expiry and revocation are checked on every call), for about
half the CPU the full path took.

Anything else (an unknown client or token, another parameter, a refresh token,
a body too large) goes on to the full endpoint unchanged, body included, which
decides and logs. An active answer writes no access log line: at thousands a
second they would drown the log; ``renkei_introspections_total`` counts them.
"""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from server.logs import get_logger
from server.metrics import HTTP_DURATION, HTTP_REQUESTS, INTROSPECTIONS
from server.oauth.access_tokens import live_claims
from server.oauth.client_auth import remembered_basic_client
from server.oauth.errors import NO_STORE
from server.oauth.forms import MAX_BODY_BYTES, is_form
from server.oauth.introspect import INACTIVE, answer_from_memory
from server.request_context import request_id_of
from server.runtime import Runtime
from server.web.bodies import read_body, replaying
from server.web.security import screen_headers

log = get_logger(__name__)

PATH = "/introspect"
ACCEPTED_FIELDS = frozenset({b"token", b"token_type_hint"})
_PLAIN_VALUE = re.compile(rb"[A-Za-z0-9._~-]+")  # characters form encoding leaves as they are
REMEMBERED_ANSWERS = 4096  # as many as the key set remembers verified tokens
_ANSWERED_2XX = HTTP_REQUESTS.labels(status="2xx")
_FROM_MEMORY = INTROSPECTIONS.labels(answered="memory")
_TIMED = HTTP_DURATION.labels(route=PATH, method="POST")


class IntrospectionShortcut:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers: list[tuple[bytes, bytes]] | None = None
        self.answers = RememberedAnswers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        received, body = await read_body(receive, limit=MAX_BODY_BYTES)
        answer = self._answer(scope, body) if body is not None else None
        if answer is None:
            await self.app(scope, replaying(received, receive), send)
            return
        await self._send_json(scope, answer, send)
        _TIMED.observe(time.perf_counter() - started)

    def _answer(self, scope: Scope, body: bytes) -> bytes | None:
        try:
            return self.answers.answer(scope["app"].state.runtime, scope["headers"], body)
        except Exception as error:  # never fail here: the full endpoint will answer, and log its own way
            log.error("introspection.shortcut_failed", error=type(error).__name__)
            return None

    async def _send_json(self, scope: Scope, content: bytes, send: Send) -> None:
        headers = [*self._api_headers(scope), (b"content-length", str(len(content)).encode()),
                   (b"x-request-id", request_id_of(_header(scope["headers"], b"x-request-id")).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        _ANSWERED_2XX.inc()
        _FROM_MEMORY.inc()

    def _api_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """What the full endpoint and the middleware send with every API answer (the settings never change)."""
        if self._headers is None:
            runtime: Runtime = scope["app"].state.runtime
            headers = {"content-type": "application/json", **screen_headers(runtime.settings), **NO_STORE}
            self._headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        return self._headers


@dataclass(frozen=True)
class ActiveAnswer:
    """A live token's answer, as sent; valid until ``expires`` unless its grant or itself is revoked."""

    content: bytes
    expires: int
    grant_id: str
    jti: str


class RememberedAnswers:
    """Each token's answer, serialised once: it changes only by expiry or revocation, both checked every time."""

    def __init__(self) -> None:
        self._active: OrderedDict[str, ActiveAnswer] = OrderedDict()

    def answer(self, runtime: Runtime, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes | None:
        """The introspection answer if everything it needs is in memory; None to let the full endpoint answer."""
        value = _token_of(headers, body)
        if value is None or not _from_resource_server(runtime, headers):
            return None
        token = runtime.extras["signing_keys"].remembered(value)  # verified by the key set in use now
        if token is None:
            return None
        remembered = self._active.get(value)
        if remembered is None:
            return self._first_answer(runtime, value, token)
        revoked = runtime.extras["revocations"].is_revoked(grant_id=remembered.grant_id, jti=remembered.jti)
        if revoked or remembered.expires <= runtime.clock.now().timestamp():
            return _INACTIVE
        return remembered.content

    def _first_answer(self, runtime: Runtime, value: str, token: jwt.Token) -> bytes | None:
        claims = live_claims(token, runtime.settings, now=runtime.clock.now())
        if claims is None:
            return _INACTIVE
        answer = answer_from_memory(runtime, claims)
        if answer is None or not answer["active"]:
            return None if answer is None else _INACTIVE
        content = _json(answer)
        self._active[value] = ActiveAnswer(content, claims["exp"], claims["grant"], claims["jti"])
        if len(self._active) > REMEMBERED_ANSWERS:
            self._active.popitem(last=False)
        return content


def _from_resource_server(runtime: Runtime, headers: list[tuple[bytes, bytes]]) -> bool:
    client = remembered_basic_client(runtime, _header(headers, b"authorization").decode("latin-1"))
    return client is not None and client["kind"] == "resource_server"


def _token_of(headers: list[tuple[bytes, bytes]], body: bytes) -> str | None:
    """The access token of a form holding ``token`` (a JWT) and perhaps ``token_type_hint``, nothing else.

    Only values that need no decoding (a JWT never does); None for any other form, left to the full endpoint."""
    if not is_form(_header(headers, b"content-type").decode("latin-1")):
        return None
    form: dict[bytes, bytes] = {}
    for pair in body.split(b"&"):
        name, equals, value = pair.partition(b"=")
        if not equals or name not in ACCEPTED_FIELDS or name in form or not _PLAIN_VALUE.fullmatch(value):
            return None
        form[name] = value
    token = form.get(b"token")
    return token.decode("ascii") if token is not None and token.count(b".") == 2 else None


def _json(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    for key, value in headers:
        if key == name:
            return value
    return b""


_INACTIVE = _json(INACTIVE)
