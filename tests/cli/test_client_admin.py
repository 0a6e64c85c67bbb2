"""`renkei clients list | show | disable | enable | rotate-secret | remove`: the real command against a running server.

The overlap of a rotated secret (--keep-previous-for, end-previous-secret): tests/cli/test_client_secret_rotation.py."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import httpx

from server.clock import FrozenClock
from server.hashing import token_digest
from tests.cli.conftest import PRODUCTION, Renkei
from tests.oauth.factories import add_account, add_fapi2_app, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect, issue



async def _operations(db: asyncpg.Pool) -> list[tuple[str, str, str | None]]:
    rows = await db.fetch("SELECT event, staff_id, client_id FROM operation_log WHERE event LIKE 'client:%' ORDER BY id")
    return [(row["event"], row["staff_id"], row["client_id"]) for row in rows]


async def _refresh(http: httpx.AsyncClient, app, refresh_token: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await http.post("/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=app.basic)


async def test_list_and_show_describe_clients_for_people_and_scripts(renkei: Renkei, db: asyncpg.Pool, clock: FrozenClock) -> None:
    await add_sandbox_app(db, clock.now())
    await add_resource_server(db, clock.now())
    listed = renkei("clients", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(c["client_id"], c["state"], c["live_grants"]) for c in json.loads(listed.stdout)] == [
        ("balance-api", "enabled", 0), ("sandbox-app", "enabled", 0)]  # made at the same time: by client_id
    table = renkei("clients", "list").stdout.splitlines()
    assert table[0].split() == ["client_id", "kind", "profile", "state", "live_grants", "name"] and len(table) == 3
    shown = json.loads(renkei("clients", "show", "sandbox-app").stdout)
    assert shown["kind"] == "app" and shown["auth_method"] == "client_secret_basic" and "secret_digest" not in shown
    assert shown["previous_secret_until"] is None and not any("digest" in field for field in shown)
    missing = renkei("clients", "show", "no-such-app")
    assert missing.returncode == 1 and "no client no-such-app" in missing.stderr
    assert renkei("clients", "show").returncode == 2  # no CLIENT_ID: a usage error
    assert renkei("clients", "list", "--colour").returncode == 2


async def test_disabling_stops_the_app_at_once_and_enabling_resumes_its_grants(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock, as_of: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    app, rs = await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now())
    tokens = await issue(client, db, clock, app, await add_account(db, clock.now()))
    assert (await introspect(client, rs, tokens["access_token"]))["active"] is True

    disabled = renkei("clients", "disable", "sandbox-app", "--reason", "契約解除の協議中", "--operator", "suzuki", env=as_of)
    assert disabled.returncode == 0, disabled.stderr
    assert json.loads(disabled.stdout) == {"client_id": "sandbox-app", "state": "disabled", "access_tokens_revoked": 1}
    assert (await introspect(client, rs, tokens["access_token"]))["active"] is False
    assert (await introspect(client, rs, tokens["refresh_token"]))["active"] is False
    refused = await _refresh(client, app, tokens["refresh_token"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    authorize = await client.get("/authorize", params={"client_id": "sandbox-app", "response_type": "code"})
    assert authorize.status_code == 400 and "location" not in authorize.headers

    enabled = renkei("clients", "enable", "sandbox-app", env=as_of)
    assert json.loads(enabled.stdout) == {"client_id": "sandbox-app", "state": "enabled"}
    assert (await introspect(client, rs, tokens["refresh_token"]))["active"] is True
    resumed = await _refresh(client, app, tokens["refresh_token"])  # the customer's grant was kept
    assert resumed.status_code == 200, resumed.text
    assert await _operations(db) == [("client:disable", "cli:suzuki", "sandbox-app"),
                                     ("client:enable", f"cli:{_os_user()}", "sandbox-app")]


async def test_a_new_secret_kept_for_no_overlap_replaces_the_old_one_at_once(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
) -> None:
    app, rs = await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now())
    rotated = renkei("clients", "rotate-secret", "balance-api", "--keep-previous-for", "0", "--operator", "tanaka")
    assert rotated.returncode == 0, rotated.stderr
    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert json.loads(rotated.stdout)["previous_secret_until"] is None
    assert new_secret not in rotated.stderr and len(new_secret) >= 40
    old = await client.post("/introspect", data={"token": "x"}, auth=rs.basic)
    new = await client.post("/introspect", data={"token": "x"}, auth=("balance-api", new_secret))
    assert (old.status_code, new.status_code) == (401, 200)
    keys_only = await add_fapi2_app(db, clock.now())
    refused = renkei("clients", "rotate-secret", keys_only.client_id)
    assert refused.returncode == 1 and "private_key_jwt" in refused.stderr
    assert await _operations(db) == [("client:rotate-secret", "cli:tanaka", "balance-api")]
    stored = await db.fetchval("SELECT secret_digest FROM oauth_client WHERE client_id = $1", app.client_id)
    assert bytes(stored) == token_digest(app.secret)  # the app's own secret is untouched


async def test_removing_revokes_every_grant_and_cannot_be_undone(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock, as_of: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    app, rs = await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now())
    tokens = await issue(client, db, clock, app, await add_account(db, clock.now()))
    unconfirmed = renkei("clients", "remove", "sandbox-app", env=as_of)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    removed = renkei("clients", "remove", "sandbox-app", "--yes", "--operator", "sato", env=as_of)
    assert json.loads(removed.stdout) == {"client_id": "sandbox-app", "state": "removed", "grants_revoked": 1}
    assert await db.fetchval("SELECT revoked_reason FROM oauth_grant") == "client_removed"
    assert (await introspect(client, rs, tokens["refresh_token"]))["active"] is False
    assert (await introspect(client, rs, tokens["access_token"]))["active"] is False
    assert [c["client_id"] for c in json.loads(renkei("clients", "list", "--json").stdout)] == ["balance-api"]
    assert "removed" in renkei("clients", "list", "--all").stdout
    again = renkei("clients", "enable", "sandbox-app")
    assert again.returncode == 1 and "was removed" in again.stderr
    assert await _operations(db) == [("client:remove", "cli:sato", "sandbox-app")]


async def test_production_enables_no_sandbox_app_unless_allowed(renkei: Renkei, db: asyncpg.Pool, clock: FrozenClock, tmp_path: Path) -> None:
    await add_sandbox_app(db, clock.now())
    keys = {"RENKEI_SIGNING_KEYS_FILE": str(tmp_path / "keys.json")}
    renkei("clients", "disable", "sandbox-app")
    refused = renkei("clients", "enable", "sandbox-app", env={**PRODUCTION, **keys})
    assert refused.returncode == 1 and "sandbox_in_production" in refused.stderr
    added = renkei("clients", "add", "--name", "x", "--profile", "sandbox", "--redirect-uri", "https://a.example.jp/cb",
                   env={**PRODUCTION, **keys})
    assert added.returncode == 1 and "sandbox_in_production" in added.stderr


def _os_user() -> str:
    import getpass

    return getpass.getuser()
