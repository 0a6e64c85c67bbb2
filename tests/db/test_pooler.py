"""Behind a pooler in transaction mode (PgBouncer): LISTEN goes straight to PostgreSQL, and with
statement_cache_size = 0 no prepared statement is left on a pooled connection."""

from __future__ import annotations

from dataclasses import replace

import httpx

from scripts.bench_suite.wire import WireCounter
from server.settings import load_settings
from tests.oauth.factories import add_account, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect, issue


def test_the_direct_connection_is_configured_by_database_direct_url(database_url):
    env = {"DATABASE_URL": "postgresql://pgbouncer:6432/renkei", "DATABASE_DIRECT_URL": database_url}
    assert load_settings(environ=env).database.direct_url == database_url
    assert load_settings(environ={"DATABASE_URL": database_url}).database.direct_url is None


async def test_a_server_behind_a_pooler_listens_and_keeps_statements_only_on_its_direct_connection(start_server, settings, db, clock):
    relay = WireCounter(settings.database.url)  # stands where PgBouncer would
    await relay.start()
    behind = replace(settings.database, url=relay.url(), direct_url=settings.database.url, statement_cache_size=0)
    try:
        server = await start_server(replace(settings, database=behind))
        app, rs = await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now())
        account_id = await add_account(db, clock.now())
        async with httpx.AsyncClient(base_url=server.url) as http:
            tokens = await issue(http, db, clock, app, account_id)
            assert (await introspect(http, rs, tokens["refresh_token"]))["active"] is True
            revoked = await http.post("/revoke", data={"token": tokens["refresh_token"]}, auth=app.basic)
            assert revoked.status_code == 200
            assert (await introspect(http, rs, tokens["access_token"]))["active"] is False
        assert relay.counts.round_trips > 0
        assert relay.counts.listens == 0 and relay.counts.named_statements == 0
    finally:
        await relay.close()
