"""OAuth error responses: one class per wire error code.

RFC 6749 §5.2 (token endpoint), RFC 7009 §2.2.1, RFC 7662 §2.3, RFC 9126 §2.3 and
RFC 9449 §7.1/§8 share one shape: a JSON object with ``error`` and
``error_description``, sent with ``Cache-Control: no-store``. Each error carries
a hint for the client (``error_description``) apart from ``detail``, which only
the log sees and which never holds a secret.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    error: ClassVar[str] = "invalid_request"
    status_code: ClassVar[int] = 400
    _by_code: ClassVar[dict[str, type[OAuthError]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        OAuthError._by_code.setdefault(cls.error, cls)

    @staticmethod
    def for_code(error: str, hint: str) -> OAuthError:
        """The error of that wire code; codes without a class of ours become invalid_request."""
        kind = OAuthError._by_code.get(error)
        if kind is None or kind.__init__ is not OAuthError.__init__:
            return InvalidRequest(f"{error}: {hint}")
        return kind(hint)

    def __init__(self, hint: str, *, detail: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(hint)
        self.hint = hint
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.hint}
        return JSONResponse(body, status_code=self.status_code, headers={**NO_STORE, **self.headers})


class InvalidRequest(OAuthError):
    """RFC 6749 §5.2: a parameter is missing, repeated, malformed or unsupported."""

    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: client authentication failed, 401. The ``Basic`` challenge goes only to a
    client that tried HTTP Basic: a client whose assertion failed would read it as a demand
    for a password (oauth4webapi reports it as a challenge, not as this error)."""

    error = "invalid_client"
    status_code = 401

    def __init__(self, hint: str, *, detail: str = "", realm: str = "renkei") -> None:
        super().__init__(hint, detail=detail, headers={"WWW-Authenticate": f'Basic realm="{realm}"'})

    def without_challenge(self) -> InvalidClient:
        self.headers.pop("WWW-Authenticate", None)
        return self


class InvalidGrant(OAuthError):
    """RFC 6749 §5.2: the code or refresh token is invalid, expired, revoked or not this client's."""

    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    """RFC 6749 §5.2: this client may not use this grant type or endpoint."""

    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class UnsupportedResponseType(OAuthError):
    """RFC 6749 §4.1.2.1, which RFC 9126 §2.3 lets /par answer with (raised by name: OAuthError.for_code)."""

    error = "unsupported_response_type"


class TemporarilyUnavailable(OAuthError):
    """A maintenance window. RFC 6749 defines this code for the authorization
    endpoint only; §5.2 lets the token endpoint use it as an extension code with
    400. ``Retry-After`` says when the window ends."""

    error = "temporarily_unavailable"

    def __init__(self, hint: str, *, retry_after_seconds: int) -> None:
        super().__init__(hint, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(OAuthError):
    """Overloaded, or PostgreSQL unreachable: the same request will work later.

    RFC 6749 §4.1.2.1 defines ``temporarily_unavailable`` for the authorization
    endpoint; with 503 and ``Retry-After`` (RFC 9110 §15.6.4) at the other
    endpoints it is what clients handle best: most retry a 503 by themselves,
    and the code says the same to those that read the body.
    """

    error = "temporarily_unavailable"
    status_code = 503

    def __init__(self, hint: str, *, retry_after_seconds: int) -> None:
        super().__init__(hint, headers={"Retry-After": str(max(1, retry_after_seconds))})


class InvalidDpopProof(OAuthError):
    """RFC 9449 §5: the DPoP proof is missing, malformed or does not match."""

    error = "invalid_dpop_proof"


class UseDpopNonce(OAuthError):
    """RFC 9449 §8: the proof must carry the server nonce sent in ``DPoP-Nonce``."""

    error = "use_dpop_nonce"

    def __init__(self, hint: str, *, nonce: str, detail: str = "") -> None:
        super().__init__(hint, detail=detail, headers={"DPoP-Nonce": nonce})


class ServerError(OAuthError):
    """Anything not meant for the client goes out as this, and nothing more."""

    error = "server_error"
    status_code = 500
