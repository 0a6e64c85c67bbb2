"""The rehearsal itself, as an operator first meets it: up, described, reachable, each customer seen as themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cluster.conftest import OUTSIDE
from tests.cluster.customers import browser
from tests.cluster.rehearsal import Cluster, people

pytestmark = pytest.mark.slow


async def test_up_describes_every_host_and_serves_https_through_the_balancer_only(cluster: Cluster):
    roles = sorted(h["role"] for h in cluster.hosts)
    assert roles == ["app", "app", "backup", "etcd", "lb", "postgres", "postgres", "postgres"]
    assert all(h["netns"].startswith("rk-") for h in cluster.hosts)
    assert cluster.url.startswith("https://") and Path(cluster.ca_file).is_file()
    async with cluster.client() as http:
        ready = await http.get("/readyz")
        metadata = await http.get("/.well-known/oauth-authorization-server")
    assert ready.status_code == 200
    assert metadata.json()["issuer"] == cluster.url  # the tokens' issuer is the balancer's URL
    assert "strict-transport-security" in ready.headers
    status = await cluster.run("status")
    for h in cluster.hosts:
        assert h["name"] in status
    assert status.count("/readyz 200") == 2 and "master" in status


async def test_throttles_and_the_log_see_the_customer_not_the_balancer_and_a_forged_header_changes_nothing(cluster: Cluster):
    (person,) = people("201", 1)
    await cluster.enrol([person])
    async with cluster.client() as http:
        customer = browser(cluster, http)
        http.headers["X-Forwarded-For"] = "203.0.113.77"  # what a client may claim
        await customer.begin()
        await customer.post("/flow/account", person.form)
    conn = await cluster.database()
    try:
        ip = await conn.fetchval("SELECT ip FROM operation_log WHERE ip IS NOT NULL ORDER BY id DESC LIMIT 1")
    finally:
        await conn.close()
    assert ip == OUTSIDE  # the customers' side of the network, as the balancer saw it


async def test_the_renkei_command_runs_on_an_app_host_with_the_clusters_settings(cluster: Cluster):
    shown = json.loads(await cluster.run("renkei", "locks", "show", "001-1-1234567"))
    assert shown["identity"]["locked"] is False
