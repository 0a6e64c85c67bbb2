"""A server process killed with SIGKILL in the middle of a flow, one of the `renkei serve` processes on one database.

The customer's browser keeps its cookie and carries on at another process.
The approval the dead process was in the middle of writing leaves nothing
behind (one transaction, never committed), and the approval made again on the
other process creates exactly one grant, one code and one notice. The dead
process's argon2 workers leave with it.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import psutil
import pytest

from tests.cli.conftest import cheap_config, renkei  # noqa: F401  (fixtures)
from tests.e2e.demo_flow import DEMO_APP, ring
from tests.e2e.test_multi_process import processes, shared_dir  # noqa: F401  (fixtures)
from tests.flow.walk import Account, Customer, auth_number_of, csrf_of, redirect_query

pytestmark = pytest.mark.slow


async def _blocked_backend(conn: asyncpg.Connection, statement: str) -> int:
    """The pid of the server connection waiting on a lock while running ``statement``."""
    async with asyncio.timeout(10):
        while True:
            pid = await conn.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1", statement + "%")
            if pid:
                return pid
            await asyncio.sleep(0.05)


async def _gone(conn: asyncpg.Connection, pid: int) -> None:
    async with asyncio.timeout(10):
        while await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            await asyncio.sleep(0.05)


async def _counts(conn: asyncpg.Connection) -> tuple[int, ...]:
    return tuple([await conn.fetchval(f"SELECT count(*) FROM {table}") for table in ("oauth_grant", "authorization_code", "email_outbox")])


async def test_a_server_killed_mid_approval_leaves_nothing_half_written_and_the_flow_goes_on_at_another(
    processes, db, database_url, settings  # noqa: F811
):
    first, second = processes[:2]  # all share the public URL of the first (a load balancer's), which Twilio signs
    taro_id = await db.fetchval("SELECT id FROM account WHERE branch_code = '001' AND account_number = '1234567'")
    taro = Account(taro_id, "001", 1, "1234567", "1980-04-01", "1234", ("+819012345678",))  # the demo data's Taro
    watcher = await asyncpg.connect(database_url)
    async with httpx.AsyncClient(base_url=first.url, timeout=20) as http:
        customer = Customer(http, settings)
        await customer.start(client_id=DEMO_APP)
        await customer.through_identity(taro)
        await customer.post("/flow/phone")
        await ring(http, first.url, public_url=first.url, caller=taro.phones[0], to=auth_number_of(customer.page))
        await customer.post("/flow/phone/call")
        await customer.post("/flow/pin", {"pin": taro.pin})
        approve = {"csrf_token": csrf_of(customer.page), "decision": "approve"}

        # The approval's transaction stops at its last statement (the operation log), then its process dies.
        blocker = await asyncpg.connect(database_url)
        blocking = blocker.transaction()
        await blocking.start()
        await blocker.execute("LOCK TABLE operation_log IN EXCLUSIVE MODE")
        in_flight = asyncio.create_task(http.post("/flow/consent", data=approve))
        backend = await _blocked_backend(watcher, "%INSERT INTO operation_log")  # the flow's end logs itself
        assert await _counts(watcher) == (0, 0, 0)  # nothing is visible before a commit
        helpers = psutil.Process(first.popen.pid).children(recursive=True)  # its argon2 workers
        assert helpers
        first.popen.kill()
        first.popen.wait(timeout=10)
        with pytest.raises(httpx.TransportError):
            await in_flight
        await blocking.rollback()
        await blocker.close()
        await _gone(watcher, backend)
        assert await _counts(watcher) == (0, 0, 0)
        assert await watcher.fetchval("SELECT finished_at FROM flow") is None

        # Same browser, same cookie, the other process: the consent screen is still there, and works once.
        screen = await http.get(second.url + "/flow/consent")
        assert screen.status_code == 200 and 'action="/flow/consent"' in screen.text
        done = await http.post(second.url + "/flow/consent", data=approve)
    assert done.status_code == 303 and "code" in redirect_query(done)
    assert await _counts(watcher) == (1, 1, 1)
    await watcher.close()
    _, alive = psutil.wait_procs(helpers, timeout=10)
    assert not alive, "the killed server's worker processes outlived it"
