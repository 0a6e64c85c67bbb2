"""Clients remembered by each process: introspection costs the database nothing, and a change to a
client reaches every process at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from scripts.bench_suite.wire import WireCounter
from server.hashing import token_digest
from tests.oauth.factories import add_account, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect, issue


@pytest.fixture
async def parties(db, clock):
    return await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now()), await add_account(db, clock.now())


@pytest.fixture
async def counted_server(start_server, settings):  # type: ignore[no-untyped-def]
    """A server whose every database message passes through a counting relay."""
    relay = WireCounter(settings.database.url)
    await relay.start()
    server = await start_server(replace(settings, database=replace(settings.database, url=relay.url())))
    yield server, relay
    await relay.close()


async def test_introspecting_an_access_token_again_costs_no_database_round_trip(counted_server, db, clock, parties):
    (server, relay), (app, rs, account_id) = counted_server, parties
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = (await issue(http, db, clock, app, account_id))["access_token"]
        assert (await introspect(http, rs, token))["active"] is True  # learns the resource server and the grant's account
        before = relay.counts.round_trips
        for _ in range(5):
            assert (await introspect(http, rs, token))["account"] == "001-1-1234567"
        assert relay.counts.round_trips == before


async def _refused_within(http: httpx.AsyncClient, url: str, auth: tuple[str, str], token: str, seconds: float) -> bool:
    async with asyncio.timeout(seconds):
        while (await http.post(url + "/introspect", data={"token": token}, auth=auth)).status_code != 401:
            await asyncio.sleep(0.02)
    return True


async def test_a_resource_server_disabled_in_the_database_is_refused_by_every_process(start_server, settings, db, clock, parties):
    app, rs, account_id = parties
    first = await start_server(settings)
    second = await start_server(replace(settings, public_url=first.runtime.settings.public_url))  # one issuer, two processes
    async with httpx.AsyncClient(base_url=first.url) as http:
        token = (await issue(http, db, clock, app, account_id))["access_token"]
        for server in (first, second):  # both remember the resource server now
            assert (await http.post(server.url + "/introspect", data={"token": token}, auth=rs.basic)).json()["active"]
        await db.execute("UPDATE oauth_client SET disabled_at = $2 WHERE client_id = $1", rs.client_id, clock.now())
        for server in (first, second):
            assert await _refused_within(http, server.url, rs.basic, token, 5)


async def test_a_new_secret_takes_over_from_the_old_one_at_once(server, db, clock, parties):
    app, rs, account_id = parties
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = (await issue(http, db, clock, app, account_id))["access_token"]
        assert (await introspect(http, rs, token))["active"] is True
        await db.execute("UPDATE oauth_client SET secret_digest = $2 WHERE client_id = $1", rs.client_id, token_digest("new-secret"))
        assert await _refused_within(http, server.url, rs.basic, token, 5)
        answer = await http.post("/introspect", data={"token": token}, auth=(rs.client_id, "new-secret"))
        assert answer.json()["active"] is True
