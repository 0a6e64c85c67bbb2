"""The client examples of docs/examples/, run as an app maker runs them, against a real Renkei.

The examples sign with the machine's clock, so this Renkei runs on it too (not the tests'
frozen clock), without the published maintenance windows (a run at 04:02 would otherwise
meet one). The example prints the URL for the customer's browser; Taro goes through the six
screens over real HTTP (with a signed Twilio call); the URL he is sent back to goes to the
example's standard input; the example prints what the demo bank API answered.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from demo.bank_api.app import create_bank_api
from server.clock import SystemClock
from tests.conftest import RunningServer, free_port
from tests.demo.conftest import running
from tests.flow.walk import Account, create_account
from tests.oauth.factories import REDIRECT_URI, add_client, add_resource_server, new_key
from tests.oauth.test_full_flow import customer_approves

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@dataclass
class ExampleWorld:
    renkei: RunningServer
    bank_api: RunningServer
    taro: Account
    environ: dict[str, str]  # what the example reads: issuer, client, key file, redirect URI, bank API

    async def run(self, command: Sequence[str], cwd: Path) -> dict:
        """The example from its first line (the authorization URL) to its last (the bank API's answers)."""
        process = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, env={**os.environ, **self.environ},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            authorization_url = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()  # type: ignore[union-attr]
            assert authorization_url.startswith(self.renkei.url + "/authorize?"), (
                authorization_url + (await process.stderr.read()).decode())  # type: ignore[union-attr]
            location = await customer_approves(self.renkei, authorization_url, self.taro)
            out, err = await asyncio.wait_for(process.communicate((location + "\n").encode()), 60)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, err.decode()
        return json.loads(out.decode().strip().splitlines()[-1])


@pytest.fixture
async def example_world(start_server, settings, db, tmp_path) -> AsyncIterator[ExampleWorld]:  # type: ignore[no-untyped-def]
    clock = SystemClock()
    renkei = await start_server(replace(settings, maintenance={}), server_clock=clock)
    now = clock.now()
    key = new_key()
    await add_client(db, client_id="example-app", profile="fapi2", jwks={"keys": [key.as_dict(private=False)]}, now=now)
    key_file = tmp_path / "client-key.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    rs = await add_resource_server(db, now)
    taro = await create_account(db, renkei.runtime.settings)
    port = free_port()
    bank_api = await running(create_bank_api(issuer=renkei.url, public_url=f"http://127.0.0.1:{port}",
                                             credentials=(rs.client_id, rs.secret or "")), port)
    yield ExampleWorld(renkei, bank_api, taro, {
        "RENKEI_ISSUER": renkei.url, "CLIENT_ID": "example-app", "CLIENT_KEY_FILE": str(key_file),
        "REDIRECT_URI": REDIRECT_URI, "BANK_API_URL": bank_api.url})
    await bank_api.stop()
