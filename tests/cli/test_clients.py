"""`renkei clients add`: apps and resource servers, their credentials, and what is refused."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import asyncpg
import click
import pytest
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from server.cli.clients import check_jwks, check_redirect_uri, check_scopes
from server.hashing import token_digest
from tests.cli.conftest import PRODUCTION, Renkei

EC_PUBLIC = ECKey.generate_key("P-256").as_dict(private=False, kid="app-key-1")


async def test_a_sandbox_app_gets_a_secret_that_is_stored_only_as_its_digest(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("clients", "add", "--name", "家計簿アプリ", "--operator", "フィンテック株式会社",
                    "--redirect-uri", "https://app.example.jp/callback", "--redirect-uri", "http://127.0.0.1:9000/cb")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    stored = await db.fetchrow("SELECT * FROM oauth_client WHERE client_id = $1", printed["client_id"])
    assert len(printed["client_secret"]) >= 43
    assert stored["secret_digest"] == token_digest(printed["client_secret"])
    assert printed["client_secret"] not in json.dumps({k: str(v) for k, v in dict(stored).items()})
    assert (stored["kind"], stored["profile"], stored["auth_method"]) == ("app", "sandbox", "client_secret_basic")
    assert (stored["require_par"], stored["require_dpop"]) == (False, False)
    assert stored["redirect_uris"] == ["https://app.example.jp/callback", "http://127.0.0.1:9000/cb"]
    assert stored["scopes"] == ["accounts:read", "transactions:read"]
    assert (stored["name"], stored["operator"]) == ("家計簿アプリ", "フィンテック株式会社")
    assert printed["client_secret"] not in result.stderr


async def test_a_fapi2_app_without_keys_is_refused(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("clients", "add", "--name", "FAPI app", "--profile", "fapi2", "--redirect-uri", "https://app.example.jp/cb")

    assert result.returncode != 0
    assert "give exactly one of --jwks FILE or --jwks-uri URL" in result.stderr
    assert await db.fetchval("SELECT count(*) FROM oauth_client") == 0


async def test_a_fapi2_app_registers_its_public_keys_and_gets_no_secret(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [EC_PUBLIC]}))

    result = renkei("clients", "add", "--name", "FAPI app", "--profile", "fapi2", "--jwks", str(jwks),
                    "--redirect-uri", "https://app.example.jp/cb", "--scope", "accounts:read")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    stored = await db.fetchrow("SELECT * FROM oauth_client WHERE client_id = $1", printed["client_id"])
    assert printed["client_secret"] is None and stored["secret_digest"] is None
    assert (stored["auth_method"], stored["require_par"], stored["require_dpop"]) == ("private_key_jwt", True, True)
    assert stored["jwks"] == {"keys": [EC_PUBLIC]}
    assert stored["scopes"] == ["accounts:read"]


async def test_production_registers_fapi2_apps_by_default(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("clients", "add", "--name", "FAPI app", "--jwks-uri", "https://app.example.jp/jwks.json",
                    "--redirect-uri", "https://app.example.jp/cb", env=PRODUCTION)

    assert result.returncode == 0, result.stderr
    stored = await db.fetchrow("SELECT * FROM oauth_client")
    assert (stored["profile"], stored["jwks_uri"], stored["jwks"]) == ("fapi2", "https://app.example.jp/jwks.json", None)


async def test_a_resource_server_gets_a_secret_and_no_redirect_uris(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("clients", "add", "--kind", "resource-server", "--name", "残高照会API")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    stored = await db.fetchrow("SELECT * FROM oauth_client WHERE client_id = $1", printed["client_id"])
    assert (stored["kind"], stored["auth_method"], stored["redirect_uris"]) == ("resource_server", "client_secret_basic", [])
    assert stored["secret_digest"] == token_digest(printed["client_secret"])


async def test_a_resource_server_may_register_its_keys_instead_of_a_secret(renkei: Renkei, db: asyncpg.Pool, tmp_path) -> None:
    """The metadata offers private_key_jwt at /introspect: a resource server can be registered for it."""
    jwks = tmp_path / "rs-jwks.json"
    jwks.write_text(json.dumps({"keys": [EC_PUBLIC]}))
    result = renkei("clients", "add", "--kind", "resource-server", "--name", "残高照会API", "--jwks", str(jwks))

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    stored = await db.fetchrow("SELECT * FROM oauth_client WHERE client_id = $1", printed["client_id"])
    assert (stored["kind"], stored["auth_method"], stored["jwks"]) == ("resource_server", "private_key_jwt", {"keys": [EC_PUBLIC]})
    assert printed["client_secret"] is None and stored["secret_digest"] is None


async def test_registering_a_client_is_in_the_operation_log(renkei: Renkei, db: asyncpg.Pool) -> None:
    result = renkei("clients", "add", "--name", "App", "--redirect-uri", "https://app.example.jp/cb")

    entry = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'client:add'")
    assert entry["client_id"] == json.loads(result.stdout)["client_id"]
    assert json.loads(result.stdout)["client_secret"] not in json.dumps(entry["detail"])


@pytest.mark.parametrize(
    ("uri", "profile", "accepted"),
    [
        pytest.param("https://app.example.jp/cb", "fapi2", True, id="https is fine for fapi2"),
        pytest.param("http://127.0.0.1:8080/callback", "sandbox", True, id="sandbox may use http on 127.0.0.1"),
        pytest.param("http://[::1]:8080/callback", "sandbox", True, id="sandbox may use http on ::1"),
        pytest.param("http://localhost/cb", "sandbox", True, id="sandbox may use http on localhost"),
        pytest.param("http://app.example.jp/cb", "sandbox", False, id="sandbox may not use http elsewhere"),
        pytest.param("http://127.0.0.1:8080/callback", "fapi2", False, id="fapi2 may not use http even on loopback"),
        pytest.param("https://app.example.jp/cb#top", "sandbox", False, id="a fragment is refused"),
        pytest.param("/callback", "sandbox", False, id="a relative uri is refused"),
        pytest.param("com.example.app:/cb", "sandbox", False, id="a custom scheme is refused"),
    ],
)
def test_redirect_uris(uri: str, profile: str, accepted: bool) -> None:
    if accepted:
        assert check_redirect_uri(uri, profile) == uri
    else:
        with pytest.raises(click.BadParameter):
            check_redirect_uri(uri, profile)


def _rsa_public(bits: int) -> dict:
    with warnings.catch_warnings():  # joserfc warns when asked for a short key, which one test wants
        warnings.simplefilter("ignore", SecurityWarning)
        return RSAKey.generate_key(bits).as_dict(private=False)


@pytest.mark.parametrize(
    ("jwk", "problem"),
    [
        pytest.param(EC_PUBLIC, None, id="an EC P-256 public key signs ES256"),
        pytest.param(_rsa_public(2048), None, id="an RSA 2048 public key signs PS256"),
        pytest.param(OKPKey.generate_key("Ed25519").as_dict(private=False), None, id="an Ed25519 public key signs EdDSA"),
        pytest.param(ECKey.generate_key("P-256").as_dict(private=True), "private key", id="a private key is refused"),
        pytest.param(OctKey.generate_key(256).as_dict(), "private key", id="a shared secret key is refused"),
        pytest.param(ECKey.generate_key("P-384").as_dict(private=False), "must be EC P-256", id="P-384 is refused"),
        pytest.param(OKPKey.generate_key("X25519").as_dict(private=False), "must be EC P-256", id="an X25519 key cannot sign"),
        pytest.param(_rsa_public(1024), "2048 bits", id="a short RSA key is refused"),
        pytest.param({**EC_PUBLIC, "alg": "ES384"}, "signing key", id="an alg outside ES256 PS256 EdDSA is refused"),
        pytest.param({**EC_PUBLIC, "use": "enc"}, "signing key", id="an encryption key is refused"),
        pytest.param({**EC_PUBLIC, "x": EC_PUBLIC["y"]}, "not a valid JWK", id="a point off the curve is refused"),
        pytest.param({"kty": "RSA"}, "not a valid JWK", id="a key without its numbers is refused"),
    ],
)
def test_jwks_holds_only_public_signing_keys(jwk: dict, problem: str | None) -> None:
    if problem is None:
        assert check_jwks({"keys": [jwk]}) == {"keys": [jwk]}
    else:
        with pytest.raises(click.BadParameter, match=problem):
            check_jwks({"keys": [jwk]})


def test_a_single_jwk_is_taken_as_a_set_and_an_empty_set_is_refused() -> None:
    assert check_jwks(EC_PUBLIC) == {"keys": [EC_PUBLIC]}
    with pytest.raises(click.BadParameter, match="JWK Set"):
        check_jwks({"keys": []})
    with pytest.raises(click.BadParameter, match="share a kid"):
        check_jwks({"keys": [EC_PUBLIC, EC_PUBLIC]})


def test_scopes_default_to_both_and_unknown_ones_are_refused() -> None:
    assert check_scopes(()) == ["accounts:read", "transactions:read"]
    assert check_scopes(("transactions:read accounts:read",)) == ["transactions:read", "accounts:read"]
    with pytest.raises(click.BadParameter, match="unknown payments:write"):
        check_scopes(("accounts:read", "payments:write"))
