"""The app hosts under load: restarted one after the other for an upgrade, or one cut off from the database."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.cluster.conftest import FIGURES
from tests.cluster.customers import SERVED_BY, Load, linked
from tests.cluster.rehearsal import Cluster, eventually, people

pytestmark = pytest.mark.slow


async def _load(cluster: Cluster, branch: str) -> Load:
    """Two apps refreshing their grants and two customers linking, over and over."""
    return Load(cluster, await linked(cluster, branch, 2), people(branch, 2))


async def test_restarting_both_app_hosts_one_after_the_other_under_load_fails_no_request(cluster: Cluster):
    """The operator restarts app1, then app2 (SIGTERM, drain, start), while apps refresh and customers
    link through the balancer: not one request fails, and both hosts serve again afterwards."""
    load = await _load(cluster, "601")
    running = asyncio.create_task(load.run())
    try:
        await asyncio.sleep(2)
        for app in cluster.names("app"):
            await cluster.run("restart", app)
            await asyncio.sleep(2)
    finally:
        load.stop()
        await running
    assert load.failures() == []
    assert sum(o.what == "link" for o in load.outcomes) >= 4 and sum(o.what == "refresh" for o in load.outcomes) >= 50
    assert await _both_serving(cluster)


async def test_an_app_host_cut_off_from_the_database_is_taken_out_and_no_customer_sees_an_error(cluster: Cluster):
    """app2 loses its route to PostgreSQL while customers link and apps refresh: its /readyz turns 503,
    the balancer stops sending it requests, and nobody sees an error page. Mended, it serves again."""
    load = await _load(cluster, "701")
    running = asyncio.create_task(load.run())
    try:
        await asyncio.sleep(2)
        await cluster.run("cut", "app2")
        async with cluster.client() as http:
            await eventually("app2's /readyz 503", lambda: _app_readyz(cluster, "app2", 503), timeout=15)
            taken_out = await eventually("the balancer to leave app2 out", lambda: _only(http, "app1"), timeout=15)
            await asyncio.sleep(3)
            assert await _only(http, "app1")
        await cluster.run("mend", "app2")
        await eventually("app2 back", lambda: _both_serving(cluster), timeout=30)
    finally:
        load.stop()
        await running
    assert load.failures() == []
    assert load.first_success("link", taken_out) or load.first_success("refresh", taken_out)
    FIGURES.append(f"app host cut off: {load.called_again} call(s) answered by it in the moment before the balancer"
                   " took it out did not count; the customer called again (ivr/webhook.py answers 200 <Reject/> then)")


async def _app_readyz(cluster: Cluster, app: str, status: int) -> bool:
    """The app host's own /readyz, asked directly (not through the balancer)."""
    async with httpx.AsyncClient(timeout=3) as http:
        try:
            return (await http.get(f"http://{cluster.address(app)}:8000/readyz")).status_code == status
        except httpx.HTTPError:
            return False


async def _served_by(http: httpx.AsyncClient, count: int = 10) -> set[str]:
    answers = [await http.get("/readyz") for _ in range(count)]
    assert all(a.status_code == 200 for a in answers)
    return {a.headers[SERVED_BY] for a in answers}


async def _only(http: httpx.AsyncClient, app: str) -> bool:
    return await _served_by(http) == {app}


async def _both_serving(cluster: Cluster) -> bool:
    async with cluster.client() as http:
        return await _served_by(http) == set(cluster.names("app"))


