"""``GET /openapi.json``: an OpenAPI 3.1 description of Renkei's JSON endpoints.

Written by hand (not generated from the routes) so that it states what a
client may rely on: every documented status, its content type and its body.
The screens (HTML) and the Twilio webhooks are not described here. The fuzz
suite (tests/security/test_fuzz_api.py) checks the running server against it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

JSON, FORM, TEXT = "application/json", "application/x-www-form-urlencoded", "text/plain"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict[str, Any] | None = None, *, media: tuple[str, ...] = (JSON,)) -> dict[str, Any]:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {m: {"schema": schema if m == JSON else {"type": "string"}} for m in media}}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
# A form field or header the server refuses when empty (``token=``, ``DPoP:``) says so.
FILLED = {"type": "string", "minLength": 1}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}
LOCK = _object(["locked", "until", "failures"], locked=BOOLEAN, until=NULLABLE_STRING, failures=INTEGER)

def _counts(keys: tuple[str, ...], kind: dict[str, Any] = INTEGER) -> dict[str, Any]:
    return _object(list(keys), **dict.fromkeys(keys, kind))


_REASON_CODES = (*(f"B8{n}" for n in range(1, 10)), "S01", "S02", "S03")
_CALLS = ("matched", "late", "unregistered", "withheld")
_FIGURE_KEYS = ("started", "approved", "stages", "reasons", "locks", "calls", "apps", "duration_seconds")
_FIGURES = {
    "started": INTEGER, "approved": INTEGER, "stages": _counts(tuple("123456")), "reasons": _counts(_REASON_CODES),
    "locks": _counts(("identity", "pin")), "calls": _counts(_CALLS),
    "calls_by_hour": {"type": "array", "items": _counts(("hour", *_CALLS))},
    "apps": {"type": "array", "items": _object(["client_id", "name", "started", "approved", "live_links"], client_id=STRING,
                                               name=STRING, started=INTEGER, approved=INTEGER, live_links=INTEGER)},
    "duration_seconds": _counts(("median", "p90"), {"type": ["number", "null"]}),
}
FIGURES_SCHEMAS = {
    "FigureDay": _object(["date", *_FIGURE_KEYS], date={"type": "string", "format": "date"}, **_FIGURES),
    "Figures": _object(["from", "to", *_FIGURE_KEYS, "days"], **{
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}, **_FIGURES,
        "days": {"type": "array", "items": {"$ref": "#/components/schemas/FigureDay"}}}),
}
_DAY_PARAMETERS = [{"name": name, "in": "query", "required": False, "schema": STRING,
                    "description": f"YYYY-MM-DD, Asia/Tokyo, included; default today; at most 92 days from {'from' if name == 'to' else 'it'}"}
                   for name in ("from", "to")]

_LOG_FILTERS = [{"name": name, "in": "query", "required": False, "schema": STRING, "description": text} for name, text in (
    ("branch", "3 digits"), ("account", "001-1-1234567"), ("app", "client_id"),
    ("screen", "authorize, account, customer, phone, call, pin or consent"), ("result", "success, failure or info"),
    ("reason", "B81 … B89, S01 … S03"))]

SCHEMAS: dict[str, Any] = {
    "OAuthError": _object(["error"], error=STRING, error_description=STRING),
    "Token": _object(["access_token", "token_type", "expires_in"], access_token=STRING,
                     token_type={"enum": ["Bearer", "DPoP"]}, expires_in=INTEGER, refresh_token=STRING, scope=STRING),
    "PushedRequest": _object(["request_uri", "expires_in"], request_uri=STRING, expires_in=INTEGER),
    "Introspection": _object(["active"], active=BOOLEAN, scope=STRING, client_id=STRING, sub=STRING,
                             token_type=STRING, exp=INTEGER, iat=INTEGER, account=STRING),
    "Metadata": _object(["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"], issuer=STRING,
                        authorization_endpoint=STRING, token_endpoint=STRING, jwks_uri=STRING),
    "KeySet": _object(["keys"], keys={"type": "array", "items": {"type": "object"}}),
    "Health": _object(["status"], status={"enum": ["ok"]}),
    "Readiness": _object(["status", "database"], status={"enum": ["ok", "unavailable"]}, database=STRING),
    "StaffError": _object(["error"], error=STRING, error_description=STRING),
    "StaffSession": _object(["staff_id", "branch_code", "role", "permissions", "csrf_token"], staff_id=STRING,
                            branch_code=STRING, role={"enum": ["branch", "hq", "supervisor"]},
                            permissions={"type": "array", "items": STRING}, csrf_token=STRING),
    "LockState": _object(["identity", "pin"], identity=LOCK, pin=LOCK),
    "AccountLog": _object(["account", "log"], account=STRING, log={"type": "array", "items": {"type": "object"}}),
    "AccountGrants": _object(["account", "grants"], account=STRING, grants={"type": "array", "items": {"type": "object"}}),
    "LockLifted": _object(["lifted", "lock"], lifted=BOOLEAN, lock=_ref("LockState"),
                          requested={"type": "boolean", "description": "waits for a supervisor's approval ([staff] unlock_approval)"}),
    "GrantRevoked": _object(["revoked"], revoked=BOOLEAN),
    "MaintenanceOverview": _object(["from", "until", "calendar", "staff_windows"], **{
        "from": STRING, "until": STRING, "calendar": {"type": "array", "items": {"type": "object"}},
        "staff_windows": {"type": "array", "items": _ref("StaffWindow")}}),
    "StaffWindow": _object(["id", "starts_at", "ends_at", "reason", "in_force"], id=INTEGER, starts_at=STRING,
                           ends_at=STRING, reason=STRING, in_force=BOOLEAN),
    "AccountsFound": {"type": "array", "items": _object(["account", "name_kana", "status"], account=STRING, name_kana=STRING,
                                                        status={"enum": ["active", "closed", "moved"]})},
    "LocksInForce": {"type": "array", "items": _object(["account", "kind", "until"], account=STRING,
                                                       kind={"enum": ["identity", "pin"]}, until=DATE_TIME)},
    **FIGURES_SCHEMAS,
}

OAUTH_ERROR, STAFF_ERROR = _ref("OAuthError"), _ref("StaffError")
BUSY = _answer("temporarily_unavailable: overloaded, or the database unreachable; retry after Retry-After", OAUTH_ERROR)


# The values a parameter may take, where there are few; any other string is refused with invalid_request.
ENUMS = {"grant_type": ["authorization_code", "refresh_token"], "response_type": ["code"], "code_challenge_method": ["S256"],
         "token_type_hint": ["access_token", "refresh_token"],
         "client_assertion_type": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]}


def _oauth_form(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    properties = {name: {"enum": ENUMS[name]} if name in ENUMS else FILLED
                  for name in (*names, "client_id", "client_assertion_type", "client_assertion")}
    return {"required": True, "content": {FORM: {"schema": {"type": "object", "required": list(required), "properties": properties}}}}


def _oauth(summary: str, form: dict[str, Any], ok: dict[str, Any], *, dpop: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "security": [{"clientSecretBasic": []}, {}], "requestBody": form,
        "responses": {**ok, "400": _answer("OAuth error (RFC 6749 §5.2)", OAUTH_ERROR),
                      "401": _answer("client authentication failed", OAUTH_ERROR), "503": BUSY},
    }
    if dpop:
        operation["parameters"] = [{"name": "DPoP", "in": "header", "required": False, "schema": FILLED}]
    return {"post": operation}


def _staff(method: str, summary: str, ok: dict[str, Any], *, body: dict[str, Any] | None = None,
           extra: tuple[str, ...] = ("404",)) -> dict[str, Any]:
    responses = {**ok, "401": _answer("not signed in", STAFF_ERROR), "403": _answer("role or CSRF token", STAFF_ERROR),
                 "503": BUSY}
    if method == "post":
        responses["400"] = _answer("the body is not what the call takes", STAFF_ERROR)
    for status in extra:
        responses[status] = _answer("no such account or window, or not one this clerk may see", STAFF_ERROR, media=(JSON, TEXT))
    operation: dict[str, Any] = {"summary": summary, "security": [{"staffSession": [], "staffCsrf": []}], "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return {method: operation}


ACCOUNT_KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"},
               "description": "BBB-T-NNNNNNN, e.g. 001-1-1234567"}


def _account(path_operations: dict[str, Any], *more: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": [ACCOUNT_KEY, *more], **path_operations}


PATHS: dict[str, Any] = {
    "/.well-known/oauth-authorization-server": {"get": {"summary": "RFC 8414 metadata",
                                                        "responses": {"200": _answer("metadata", _ref("Metadata"))}}},
    "/jwks": {"get": {"summary": "public keys of access tokens", "responses": {"200": _answer("JWK set", _ref("KeySet"))}}},
    "/par": _oauth("RFC 9126 pushed authorization request",
                   _oauth_form("response_type", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
                               "dpop_jkt", "ui_locales",
                               required=("response_type", "redirect_uri", "code_challenge", "code_challenge_method")),
                   {"201": _answer("request_uri to send the browser to /authorize with", _ref("PushedRequest"))}, dpop=True),
    "/token": _oauth("RFC 6749 token endpoint",
                     _oauth_form("grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
                                 required=("grant_type",)),
                     {"200": _answer("tokens", _ref("Token"))}, dpop=True),
    "/introspect": _oauth("RFC 7662, for the bank's resource servers", _oauth_form("token", "token_type_hint", required=("token",)),
                          {"200": _answer("what the token is, or {active: false}", _ref("Introspection"))}),
    "/revoke": _oauth("RFC 7009, for apps", _oauth_form("token", "token_type_hint", required=("token",)),
                      {"200": _answer("revoked, or nothing to revoke")}),
    "/healthz": {"get": {"summary": "the process answers", "responses": {"200": _answer("alive", _ref("Health"))}}},
    "/readyz": {"get": {"summary": "the database answers too", "responses": {
        "200": _answer("ready", _ref("Readiness")), "503": _answer("not ready", _ref("Readiness"))}}},
    "/openapi.json": {"get": {"summary": "this document", "responses": {"200": _answer("OpenAPI 3.1", {"type": "object"})}}},
    "/staff/api/session": _staff("get", "who is signed in, and the CSRF token", {"200": _answer("session", _ref("StaffSession"))},
                                 extra=()),
    "/staff/api/accounts/{key}/lock": _account(_staff("get", "lock state (contract §8)", {"200": _answer("locks", _ref("LockState"))})),
    "/staff/api/accounts/{key}/log": _account(_staff("get", "operation log, newest first, 30 lines a page", {
        "200": _answer("log", _ref("AccountLog")), "400": _answer("a query that is not text (NUL)", STAFF_ERROR)}),
                                              {"name": "page", "in": "query", "required": False, "schema": STRING,
                                               "description": "1 (the newest) by default"}),
    "/staff/api/accounts/{key}/grants": _account(_staff("get", "linked apps", {"200": _answer("grants", _ref("AccountGrants"))})),
    "/staff/api/accounts/{key}/lock/clear": _account(_staff(
        "post", "lift a lock", {"200": _answer("lifted", _ref("LockLifted"))},
        body=_object(["kind", "reason"], kind={"enum": ["identity", "pin"]}, reason=STRING))),
    "/staff/api/accounts/{key}/grants/{grant_id}/revoke": _account(
        _staff("post", "end an app's link", {"200": _answer("ended", _ref("GrantRevoked"))}),
        {"name": "grant_id", "in": "path", "required": True, "schema": STRING}),
    "/staff/api/accounts": {"parameters": [
        {"name": "kana", "in": "query", "required": False, "schema": STRING,
         "description": "the name in kana, or its start (full- or half-width, hiragana too, with or without the space)"},
        {"name": "phone", "in": "query", "required": False, "schema": STRING,
         "description": "a registered phone number, as typed (090-1234-5678, 09012345678, +819012345678)"}],
        **_staff("get", "find accounts by kana name or phone, within the clerk's branch (one of kana or phone)",
                 {"200": _answer("at most 50 accounts", _ref("AccountsFound")),
                  "400": _answer("neither or both of kana and phone, or not a kana name or a phone number", STAFF_ERROR)},
                 extra=())},
    "/staff/api/locks": _staff("get", "the accounts locked now, within the clerk's branch, the soonest to lift first",
                               {"200": _answer("locks in force", _ref("LocksInForce"))}, extra=()),
    "/staff/api/stats": {"parameters": _DAY_PARAMETERS, **_staff(
        "get", "head office's figures for a range of days (contract §12), in the clerk's branch scope",
        {"200": _answer("figures", _ref("Figures")),
         "400": _answer("from or to is not a day, reversed, or more than 92 days apart", STAFF_ERROR)}, extra=())},
    "/staff/api/log.csv": {"parameters": [*_DAY_PARAMETERS, *_LOG_FILTERS], **_staff(
        "get", "the operation log as CSV (UTF-8 with BOM), streamed; branch staff get their branch's lines only",
        {"200": _answer("CSV, a header line then one line per entry", STRING, media=("text/csv",)),
         "400": _answer("a filter that cannot be used", STAFF_ERROR)}, extra=())},
    "/staff/api/maintenance-windows": {
        **_staff("get", "the next 30 days' closures", {"200": _answer("calendar", _ref("MaintenanceOverview"))}, extra=()),
        **_staff("post", "add a window", {"201": _answer("added", _ref("StaffWindow"))}, extra=(),
                 body=_object(["starts_at", "ends_at", "reason"], starts_at=DATE_TIME, ends_at=DATE_TIME, reason=STRING)),
    },
    "/staff/api/maintenance-windows/{window_id}/cancel": {
        "parameters": [{"name": "window_id", "in": "path", "required": True, "schema": INTEGER}],
        **_staff("post", "cancel a window", {"200": _answer("cancelled", _ref("StaffWindow"))}),
    },
}


def openapi_document(public_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Renkei", "version": "1",
                 "description": "The bank's API連携認証 server: OAuth endpoints, health, and the staff console's JSON API."},
        "servers": [{"url": public_url}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "clientSecretBasic": {"type": "http", "scheme": "basic"},
                "staffSession": {"type": "apiKey", "in": "cookie", "name": "renkei_staff"},
                "staffCsrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document(request.app.state.runtime.settings.public_url),
                        headers={"Cache-Control": "public, max-age=300"})


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
