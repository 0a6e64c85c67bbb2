"""The demo app and the demo bank API on loopback beside a real Renkei, all on the test's frozen clock.

The clients are registered as `renkei seed-demo` registers them (server.demo.seed_clients), with
the demo app's address; Taro's account is one the bank API's ledger knows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from joserfc.jwk import ECKey
from starlette.applications import Starlette

from demo.bank_api.app import create_bank_api
from demo.fintech_app.app import create_demo_app
from demo.fintech_app.fapi2_client import Client
from server import demo as seed
from tests.conftest import RunningServer, free_port
from tests.e2e.conftest import browser, new_context  # noqa: F401  (fixtures: Debian's Chromium on a phone)
from tests.flow.walk import Account, create_account


@dataclass
class DemoWorld:
    renkei: RunningServer
    app: RunningServer  # テスト家計簿アプリ
    bank_api: RunningServer
    taro: Account
    database_url: str

    @property
    def demo_app(self):  # type: ignore[no-untyped-def]
        return self.app.app.state.demo


async def running(app: Starlette, port: int) -> RunningServer:
    started = RunningServer(app, port)
    await started.start()
    return started


@pytest.fixture
async def demo_world(server, db, settings, clock, database_url) -> AsyncIterator[DemoWorld]:  # type: ignore[no-untyped-def]
    app_port, bank_port = free_port(), free_port()
    app_url, bank_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bank_port}"
    async with db.acquire() as conn:
        await seed.seed_clients(conn, clock.now(), app_url)
    taro = await create_account(db, settings)
    now = lambda: clock.now().timestamp()  # noqa: E731
    async with httpx.AsyncClient(timeout=15) as http:
        client = Client(seed.DEMO_CLIENT_ID, app_url + "/callback", " ".join(seed.DEMO_SCOPES),
                        ECKey.generate_key("P-256", private=True, auto_kid=True), http, clock=now)
        app = await running(create_demo_app(client, issuer=server.url, bank_api_url=bank_url), app_port)
        bank_api = await running(create_bank_api(issuer=server.url, public_url=bank_url, clock=now, http=http,
                                                 credentials=(seed.DEMO_BANK_API_ID, seed.DEMO_BANK_API_SECRET)), bank_port)
        yield DemoWorld(server, app, bank_api, taro, database_url)
        await app.stop()
        await bank_api.stop()
