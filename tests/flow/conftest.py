"""Fixtures for the customer flow: an app, the demo customer Taro, and a browser on a running server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from server.settings import Settings
from tests.flow.walk import Account, Customer, create_account, create_client


@pytest.fixture
async def app_client(db: asyncpg.Pool) -> str:
    return await create_client(db)


@pytest.fixture
async def taro(db: asyncpg.Pool, settings: Settings) -> Account:
    return await create_account(db, settings)


@pytest.fixture
async def customer(server, app_client: str) -> AsyncIterator[Customer]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=20) as http:
        yield Customer(http, server.runtime.settings)


from tests.cli.conftest import cheap_config, renkei  # noqa: E402,F401  (the real `renkei` command)
