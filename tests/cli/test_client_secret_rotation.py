"""`renkei clients rotate-secret --keep-previous-for` and `end-previous-secret`: the real command, a real server,
and the server's clock moved past the overlap."""

from __future__ import annotations

import asyncio
import getpass
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from server.clock import FrozenClock, write_clock_offset
from server.hashing import token_digest
from tests.cli.conftest import Renkei
from tests.oauth.factories import App, add_account, add_code, add_resource_server, add_sandbox_app
from tests.oauth.test_token_code import exchange_form


def _rotated(renkei: Renkei, client_id: str, *args: str, env: dict[str, str]) -> dict:
    return _answer(renkei, "rotate-secret", client_id, *args, env=env)


def _shown(renkei: Renkei, client_id: str, *, env: dict[str, str]) -> dict:
    return _answer(renkei, "show", client_id, env=env)


def _answer(renkei: Renkei, *args: str, env: dict[str, str]) -> dict:
    done = renkei("clients", *args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _with_new_secret(renkei: Renkei, app: App, *args: str, env: dict[str, str]) -> App:
    return replace(app, secret=_rotated(renkei, app.client_id, *args, env=env)["client_secret"])


async def _token_status(http: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock, app: App, account_id: int, *,
                        post: bool = False) -> int:
    """The status of a code exchange at /token, the secret sent with HTTP Basic (or posted in the form)."""
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    if post:
        form = {**exchange_form(code), "client_id": app.client_id, "client_secret": app.secret}
        return (await http.post("/token", data=form)).status_code
    return (await http.post("/token", data=exchange_form(code), auth=app.basic)).status_code


async def _introspect_status(http: httpx.AsyncClient, rs: App) -> int:
    return (await http.post("/introspect", data={"token": "x"}, auth=rs.basic)).status_code


async def _refused_soon(http: httpx.AsyncClient, rs: App) -> int:
    """The status once the server has forgotten the client (the change notice arrives just after the commit)."""
    for _ in range(200):
        status = await _introspect_status(http, rs)
        if status == 401:
            return status
        await asyncio.sleep(0.005)
    return status


async def test_both_secrets_get_tokens_until_the_previous_one_ends(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
    as_of: dict[str, str], log_lines: list[str],
) -> None:
    old, account_id = await add_sandbox_app(db, clock.now()), await add_account(db, clock.now())
    printed = _rotated(renkei, old.client_id, "--operator", "tanaka", env=as_of)
    ends = datetime.fromisoformat(printed["previous_secret_until"])
    assert ends.utcoffset() == timedelta(hours=9) and abs(ends - (clock.now() + timedelta(hours=24))) < timedelta(minutes=1)
    new = replace(old, secret=printed["client_secret"])
    assert [await _token_status(client, db, clock, app, account_id) for app in (old, new)] == [200, 200]
    assert await _token_status(client, db, clock, old, account_id, post=True) == 200
    shown = _shown(renkei, old.client_id, env=as_of)
    assert shown["previous_secret_until"] == printed["previous_secret_until"] and "previous_secret_digest" not in shown

    noticed = [json.loads(line) for line in log_lines if "client.previous_secret_used" in line]
    assert len(noticed) == 1 and noticed[0]["client_id"] == old.client_id  # used twice, logged once a minute
    assert noticed[0]["until"] == printed["previous_secret_until"]
    assert not any(secret in line for line in log_lines for secret in (old.secret, new.secret))

    clock.set(ends - timedelta(seconds=1))
    assert await _token_status(client, db, clock, old, account_id) == 200
    assert sum("client.previous_secret_used" in line for line in log_lines) == 2
    clock.set(ends + timedelta(seconds=1))
    refused = await client.post("/token", data=exchange_form(await add_code(db, old, account_id=account_id, now=clock.now())),
                                auth=old.basic)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert await _token_status(client, db, clock, old, account_id, post=True) == 401
    assert await _token_status(client, db, clock, new, account_id) == 200
    write_clock_offset(Path(as_of["RENKEI_CLOCK_FILE"]), clock.now())
    assert _shown(renkei, old.client_id, env=as_of)["previous_secret_until"] is None


async def test_a_resource_server_introspects_with_either_secret_until_the_overlap_ends(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
    as_of: dict[str, str],
) -> None:
    old = await add_resource_server(db, clock.now())
    new = _with_new_secret(renkei, old, "--keep-previous-for", "2h", env=as_of)
    # Twice each: the second call of a remembered client takes the fast path of /introspect.
    assert [await _introspect_status(client, rs) for rs in (old, new, old, new)] == [200, 200, 200, 200]
    clock.advance(hours=2, seconds=5)
    assert [await _introspect_status(client, rs) for rs in (old, new, old)] == [401, 200, 401]


async def test_no_overlap_or_ending_the_previous_secret_stops_the_old_one_at_once(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
    as_of: dict[str, str],
) -> None:
    first = await add_resource_server(db, clock.now())
    assert await _introspect_status(client, first) == 200  # remembered by the server from now on
    leaked = _rotated(renkei, first.client_id, "--keep-previous-for", "0", "--operator", "sato", env=as_of)
    assert leaked["previous_secret_until"] is None
    assert await _refused_soon(client, first) == 401
    second = replace(first, secret=leaked["client_secret"])
    third = _with_new_secret(renkei, first, env=as_of)
    assert [await _introspect_status(client, rs) for rs in (second, third)] == [200, 200]

    ended = renkei("clients", "end-previous-secret", first.client_id, "--operator", "sato", env=as_of)
    assert ended.returncode == 0, ended.stderr
    assert json.loads(ended.stdout) == {"client_id": first.client_id, "previous_secret_ended": True}
    assert await _refused_soon(client, second) == 401 and await _introspect_status(client, third) == 200
    again = renkei("clients", "end-previous-secret", first.client_id, env=as_of)
    assert json.loads(again.stdout) == {"client_id": first.client_id, "previous_secret_ended": False}
    assert renkei("clients", "end-previous-secret", "no-such-client", env=as_of).returncode == 1
    assert renkei("clients", "end-previous-secret", env=as_of).returncode == 2
    logged = await db.fetch("SELECT event, staff_id, detail FROM operation_log WHERE client_id = $1 ORDER BY id", first.client_id)
    assert [(row["event"], row["staff_id"]) for row in logged] == [
        ("client:rotate-secret", "cli:sato"), ("client:rotate-secret", f"cli:{getpass.getuser()}"),
        ("client:end-previous-secret", "cli:sato"), ("client:end-previous-secret", f"cli:{getpass.getuser()}")]
    assert not any(secret in row["detail"] for row in logged for secret in (first.secret, second.secret, third.secret))


async def test_a_second_rotation_during_the_overlap_drops_the_older_secret(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
    as_of: dict[str, str],
) -> None:
    oldest = await add_resource_server(db, clock.now())
    middle = _with_new_secret(renkei, oldest, env=as_of)
    newest = _with_new_secret(renkei, oldest, "--keep-previous-for", "1h", env=as_of)
    assert await _refused_soon(client, oldest) == 401
    assert [await _introspect_status(client, rs) for rs in (middle, newest)] == [200, 200]
    clock.advance(hours=1, seconds=5)  # the overlap is the second rotation's, not the first's 24 h
    assert [await _introspect_status(client, rs) for rs in (middle, newest)] == [401, 200]


async def test_no_overlap_during_an_overlap_stops_both_older_secrets(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
    as_of: dict[str, str],
) -> None:
    first = await add_resource_server(db, clock.now())
    second = _with_new_secret(renkei, first, env=as_of)
    assert [await _introspect_status(client, rs) for rs in (first, second)] == [200, 200]
    leaked = _rotated(renkei, first.client_id, "--keep-previous-for", "0", env=as_of)
    assert leaked["previous_secret_until"] is None
    assert [await _refused_soon(client, rs) for rs in (first, second)] == [401, 401]
    assert await _introspect_status(client, replace(first, secret=leaked["client_secret"])) == 200
    assert _shown(renkei, first.client_id, env=as_of)["previous_secret_until"] is None


async def test_two_rotations_at_the_same_time_leave_one_current_and_one_previous_secret(
    renkei: Renkei, server, client: httpx.AsyncClient, db: asyncpg.Pool, clock: FrozenClock,  # type: ignore[no-untyped-def]
    as_of: dict[str, str],
) -> None:
    original = await add_resource_server(db, clock.now())
    both = await asyncio.gather(*(asyncio.to_thread(_rotated, renkei, original.client_id, env=as_of) for _ in range(2)))
    secrets = {printed["client_secret"] for printed in both}
    stored = await db.fetchrow("SELECT secret_digest, previous_secret_digest FROM oauth_client WHERE client_id = $1",
                               original.client_id)
    # Each rotation saw the other's result or none of it: the original is dropped, the two new ones remain.
    assert {stored["secret_digest"], stored["previous_secret_digest"]} == {token_digest(secret) for secret in secrets}
    assert await _refused_soon(client, original) == 401
    assert [await _introspect_status(client, replace(original, secret=secret)) for secret in secrets] == [200, 200]


@pytest.mark.parametrize("duration", ["soon", "-1h", "31d", "", "24"])
async def test_a_duration_it_cannot_read_changes_nothing(
    renkei: Renkei, db: asyncpg.Pool, clock: FrozenClock, as_of: dict[str, str], duration: str,
) -> None:
    rs = await add_resource_server(db, clock.now())
    refused = renkei("clients", "rotate-secret", rs.client_id, "--keep-previous-for", duration, env=as_of)
    assert refused.returncode == 2 and "--keep-previous-for" in refused.stderr and refused.stdout == ""
    assert await db.fetchval("SELECT secret_digest FROM oauth_client") == token_digest(rs.secret)
    assert await db.fetchval("SELECT count(*) FROM operation_log") == 0
