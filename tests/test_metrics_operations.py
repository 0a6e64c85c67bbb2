"""The figures an operator's Prometheus needs: latency by route, the database's backlog, refused webhooks,
and a page that promtool accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.clock import FrozenClock
from server.db import outbox
from tests.test_metrics import _many_fresh_connections, families, samples, two_workers

PROMTOOL = shutil.which("promtool")


def promtool_check_metrics(text: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL, "promtool is missing: scripts/install test installs Debian's prometheus package"
    return subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_promtool_accepts_a_live_metrics_page(client: httpx.AsyncClient) -> None:
    await client.get("/staff/api/accounts/001-1-1234567/lock")  # a route with a parameter, answered 401
    checked = promtool_check_metrics(await scrape(client))
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_request_latency_is_labelled_by_route_template_not_by_url(client: httpx.AsyncClient) -> None:
    key = ("renkei_http_request_duration_seconds_count", (("method", "GET"), ("route", "/staff/api/accounts/{key}/lock")))
    before = samples(await scrape(client)).get(key, 0)
    for number in ("1234567", "7654321"):
        await client.get(f"/staff/api/accounts/001-1-{number}/lock")
    text = await scrape(client)
    assert samples(text)[key] == before + 2
    assert "7654321" not in text


async def test_an_unknown_path_and_an_invented_method_do_not_grow_the_labels(client: httpx.AsyncClient) -> None:
    await client.get("/no-such-page-4711")
    await client.request("BREW", "/healthz")
    text = await scrape(client)
    assert "no-such-page-4711" not in text and "BREW" not in text
    assert samples(text)[("renkei_http_request_duration_seconds_count", (("method", "GET"), ("route", "unmatched")))] >= 1


async def test_the_build_and_the_database_figures_are_on_the_page(client: httpx.AsyncClient, db: asyncpg.Pool,
                                                                   clock: FrozenClock) -> None:
    await outbox.enqueue(db, to_address="a@example.jp", subject="s", body="b", now=clock.now())
    await outbox.enqueue(db, to_address="b@example.jp", subject="s", body="b", now=clock.now())
    clock.advance(seconds=90)
    text = await scrape(client)
    found = samples(text)
    assert found[("renkei_database_up", ())] == 1
    assert found[("renkei_outbox_backlog", ())] == 2
    assert found[("renkei_outbox_oldest_age_seconds", ())] == 90
    assert found[("renkei_phone_checks_open", ())] == 0
    assert {"renkei_build_info", "renkei_db_pool_wait_seconds", "renkei_argon2_queue_wait_seconds",
            "renkei_listen_connected", "renkei_locks_set", "renkei_webhook_signature_failures"} <= families(text)
    assert found[("renkei_listen_connected", ())] == 1


async def test_a_webhook_refused_for_its_signature_is_counted_and_warned(client: httpx.AsyncClient, log_lines) -> None:  # type: ignore[no-untyped-def]
    key = ("renkei_webhook_signature_failures_total", (("path", "/ivr/voice"),))
    before = samples(await scrape(client)).get(key, 0)
    form = {"CallSid": "CA" + "0" * 32, "To": "+815000000001", "From": "+819012345678"}
    response = await client.post("/ivr/voice", data=form, headers={"X-Twilio-Signature": "not-the-signature"})
    assert response.status_code == 403
    assert samples(await scrape(client))[key] == before + 1
    warning = next(line for line in log_lines if "ivr.signature_refused" in line)
    assert '"level": "warning"' in warning and "/ivr/voice" in warning and "public_url" in warning


async def test_a_webhook_without_a_signature_is_counted_too(client: httpx.AsyncClient) -> None:
    key = ("renkei_webhook_signature_failures_total", (("path", "/ivr/status"),))
    before = samples(await scrape(client)).get(key, 0)
    assert (await client.post("/ivr/status", data={"CallSid": "CA" + "1" * 32})).status_code == 403
    assert samples(await scrape(client))[key] == before + 1


@pytest.mark.slow
async def test_two_workers_show_each_ones_process_figures_and_promtool_accepts_the_page(
    database_url: str, tmp_path: Path, db: asyncpg.Pool
) -> None:
    async with two_workers(database_url, tmp_path) as url:
        await _many_fresh_connections(url, 20)
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{url}/metrics")).text
    memory = [s for f in text_string_to_metric_families(text) if f.name == "process_resident_memory_bytes" for s in f.samples]
    assert len({s.labels["pid"] for s in memory}) == 2 and all(s.value > 0 for s in memory)
    checked = promtool_check_metrics(text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
