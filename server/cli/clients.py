"""`renkei clients add`: register a fintech app or a bank resource server.

Two profiles (contract §4): ``sandbox`` apps authenticate with a client secret
(client_secret_basic) and may redirect to a loopback http address; ``fapi2``
apps sign client assertions (private_key_jwt) with keys from their JWKS, must
use PAR and DPoP, and redirect to https only. The secret is printed once and
stored only as a SHA-256 digest (it is long and random, so argon2 would only
slow /token down).
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import click
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import JWKRegistry

from server.cli.common import cli_settings, with_database
from server.clock import clock_for
from server.db import clients, oplog
from server.hashing import token_digest
from server.settings import Settings

SCOPES = ("accounts:read", "transactions:read")
SIGNING_ALGS = ("ES256", "PS256", "EdDSA")
# Key types that can sign with SIGNING_ALGS: EC P-256 (ES256), RSA (PS256), Ed25519/Ed448 (EdDSA).
_CURVES = {"EC": ("P-256",), "OKP": ("Ed25519", "Ed448")}
_RSA_MIN_BITS = 2048  # FAPI 2.0 Security Profile §5.4
_LOOPBACK_NAMES = ("localhost",)


def _is_loopback(host: str | None) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_redirect_uri(uri: str, profile: str) -> str:
    """An absolute https URI without fragment; sandbox apps may also use http on loopback."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{uri} must be an absolute https URI", param_hint="--redirect-uri")
    if parts.fragment or uri.endswith("#"):
        raise click.BadParameter(f"{uri} must not have a fragment (RFC 6749 §3.1.2)", param_hint="--redirect-uri")
    if parts.scheme == "http" and not (profile == "sandbox" and _is_loopback(parts.hostname)):
        allowed = "only on loopback (127.0.0.1, [::1], localhost)" if profile == "sandbox" else "never: fapi2 needs https"
        raise click.BadParameter(f"{uri}: http is allowed {allowed}", param_hint="--redirect-uri")
    return uri


def check_scopes(values: tuple[str, ...]) -> list[str]:
    """The scopes asked for (space-separated or repeated), all of SCOPES when none."""
    asked = [scope for value in values for scope in value.split()]
    unknown = [scope for scope in asked if scope not in SCOPES]
    if unknown:
        raise click.BadParameter(f"unknown {', '.join(unknown)}; known: {', '.join(SCOPES)}", param_hint="--scope")
    return list(dict.fromkeys(asked)) or list(SCOPES)


def _key_problem(jwk: Any) -> str | None:
    """Why one JWK cannot verify a client assertion, or None when it can."""
    if not isinstance(jwk, dict):
        return "is not a JSON object"
    try:
        with warnings.catch_warnings():  # joserfc warns on short RSA keys; they are refused below
            warnings.simplefilter("ignore", SecurityWarning)
            key = JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        return f"is not a valid JWK ({error})"
    if key.is_private:
        return "holds a private key; register public keys only"
    if jwk.get("alg", SIGNING_ALGS[0]) not in SIGNING_ALGS or jwk.get("use", "sig") != "sig":
        return f"must be a signing key (use sig) for {', '.join(SIGNING_ALGS)}"
    if key.key_type == "RSA":
        return None if key.raw_value.key_size >= _RSA_MIN_BITS else f"RSA keys need {_RSA_MIN_BITS} bits or more"
    if jwk.get("crv") not in _CURVES.get(key.key_type, ()):
        return "must be EC P-256, RSA or OKP Ed25519/Ed448 (for ES256, PS256, EdDSA)"
    return None


def check_jwks(document: Any) -> dict[str, Any]:
    """A JWK Set of public signing keys (a single JWK is wrapped into a set)."""
    if isinstance(document, dict) and "keys" not in document and "kty" in document:
        document = {"keys": [document]}
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        raise click.BadParameter('must be a JWK Set: {"keys": [...]} with at least one key', param_hint="--jwks")
    for position, jwk in enumerate(keys, 1):
        if problem := _key_problem(jwk):
            raise click.BadParameter(f"key {position} {problem}", param_hint="--jwks")
    kids = [jwk["kid"] for jwk in keys if "kid" in jwk]
    if len(kids) != len(set(kids)):
        raise click.BadParameter("two keys share a kid", param_hint="--jwks")
    return {"keys": keys}


def read_jwks(path: Path) -> dict[str, Any]:
    try:
        return check_jwks(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"{path.name} is not JSON ({error})", param_hint="--jwks") from None


def check_jwks_uri(uri: str, production: bool) -> str:
    parts = urlsplit(uri)
    loopback_http = parts.scheme == "http" and _is_loopback(parts.hostname) and not production
    if not parts.hostname or parts.fragment or not (parts.scheme == "https" or loopback_http):
        raise click.BadParameter(f"{uri} must be an absolute https URL", param_hint="--jwks-uri")
    return uri


def app_credentials(profile: str, jwks_file: Path | None, jwks_uri: str | None, production: bool) -> dict[str, Any]:
    """How the app will authenticate: a new secret (sandbox) or its keys (fapi2)."""
    if profile == "sandbox":
        if jwks_file or jwks_uri:
            raise click.UsageError("sandbox apps authenticate with a secret; --jwks and --jwks-uri are for --profile fapi2")
        return {"auth_method": "client_secret_basic", "secret": secrets.token_urlsafe(32), "jwks": None, "jwks_uri": None}
    if bool(jwks_file) == bool(jwks_uri):
        raise click.UsageError("fapi2 apps sign with private_key_jwt: give exactly one of --jwks FILE or --jwks-uri URL")
    return {
        "auth_method": "private_key_jwt", "secret": None,
        "jwks": read_jwks(jwks_file) if jwks_file else None,
        "jwks_uri": check_jwks_uri(jwks_uri, production) if jwks_uri else None,
    }


def resource_server_client(jwks_file: Path | None = None, jwks_uri: str | None = None, production: bool = False) -> dict[str, Any]:
    """A secret (client_secret_basic), or with --jwks / --jwks-uri keys (private_key_jwt), as the
    metadata's introspection_endpoint_auth_methods_supported promises."""
    credentials = app_credentials("fapi2" if jwks_file or jwks_uri else "sandbox", jwks_file, jwks_uri, production)
    return {"client_id": f"rs-{secrets.token_hex(8)}", "kind": "resource_server", "profile": "sandbox", **credentials,
            "redirect_uris": [], "scopes": [], "require_par": False, "require_dpop": False}


def app_client(profile: str, redirect_uris: tuple[str, ...], scopes: tuple[str, ...], credentials: dict[str, Any]) -> dict[str, Any]:
    if not redirect_uris:
        raise click.UsageError("an app needs at least one --redirect-uri")
    return {"client_id": f"app-{secrets.token_hex(8)}", "kind": "app", "profile": profile, **credentials,
            "redirect_uris": list(dict.fromkeys(check_redirect_uri(uri, profile) for uri in redirect_uris)),
            "scopes": check_scopes(scopes), "require_par": profile == "fapi2", "require_dpop": profile == "fapi2"}


def _register(settings: Settings, client: dict[str, Any]) -> None:
    """Store the client, log who was added, and print its credentials once."""
    now = clock_for(settings.clock_file).now()
    secret = client.pop("secret")
    client["secret_digest"] = token_digest(secret) if secret else None

    async def work(pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn, conn.transaction():
            if not await clients.insert_client(conn, **client, created_at=now):
                raise click.ClickException(f"client_id {client['client_id']} is taken; run the command again")
            detail = {"kind": client["kind"], "profile": client["profile"], "name": client["name"]}
            await oplog.append(conn, oplog.Entry(at=now, event="client:add", outcome="success",
                                                 client_id=client["client_id"], detail=detail))

    with_database(settings, work)
    click.echo(json.dumps({"client_id": client["client_id"], "client_secret": secret}))


@click.group(name="clients")
def clients_group() -> None:
    """OAuth clients: fintech apps and the bank's resource servers."""


@clients_group.command(name="add")
@click.option("--kind", type=click.Choice(["app", "resource-server"]), default="app", show_default=True)
@click.option("--name", required=True, help="Shown to the customer on the consent screen.")
@click.option("--operator", default="", help="The company that runs the app, shown on the consent screen.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Exact redirect URI (repeat for several).")
@click.option("--scope", "scopes", multiple=True, help=f"Scopes the app may ask for (default: {' '.join(SCOPES)}).")
@click.option("--profile", type=click.Choice(["sandbox", "fapi2"]), help="Default: sandbox in development, fapi2 in production.")
@click.option("--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="fapi2 app or resource server: its public JWK Set (private_key_jwt).")
@click.option("--jwks-uri", help="fapi2 app or resource server: where it publishes its public JWK Set.")
def add(kind: str, name: str, operator: str, redirect_uris: tuple[str, ...], scopes: tuple[str, ...],
        profile: str | None, jwks_file: Path | None, jwks_uri: str | None) -> None:
    """Register an app (or, with --kind resource-server, a resource server allowed to
    call /introspect) and print {"client_id": ..., "client_secret": ...}."""
    settings = cli_settings()
    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="--name")
    if kind == "resource-server":
        if redirect_uris or scopes or profile:
            raise click.UsageError("a resource server takes --name (and --jwks or --jwks-uri to sign instead of a secret)")
        client = resource_server_client(jwks_file, jwks_uri, settings.production)
    else:
        profile = profile or ("fapi2" if settings.production else "sandbox")
        if profile == "sandbox" and not settings.sandbox_apps_allowed:
            raise click.ClickException("production serves no sandbox app unless [clients] sandbox_in_production = true")
        client = app_client(profile, redirect_uris, scopes, app_credentials(profile, jwks_file, jwks_uri, settings.production))
    _register(settings, {**client, "name": name.strip(), "operator": operator.strip()})
