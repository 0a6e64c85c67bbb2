"""Production serves no sandbox app unless [clients] sandbox_in_production says so: the client lookups leave them out."""

from __future__ import annotations

import asyncpg

from server.clock import FrozenClock
from server.db.clients import get_client
from tests.oauth.factories import add_fapi2_app, add_resource_server, add_sandbox_app


async def test_a_sandbox_app_is_unknown_where_sandbox_apps_are_not_allowed(db: asyncpg.Pool, clock: FrozenClock) -> None:
    await add_sandbox_app(db, clock.now())
    await add_fapi2_app(db, clock.now())
    await add_resource_server(db, clock.now())  # stored with the sandbox profile, authenticating with a secret
    assert await get_client(db, "sandbox-app", sandbox_apps=True) is not None
    assert await get_client(db, "sandbox-app", sandbox_apps=False) is None
    assert await get_client(db, "fapi2-app", sandbox_apps=False) is not None
    assert await get_client(db, "balance-api", sandbox_apps=False) is not None
