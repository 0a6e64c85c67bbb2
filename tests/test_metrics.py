"""/metrics: what it shows, who may read it, and several workers counted as one server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.metrics import FLOW_STEPS, shared_between_workers
from server.settings import Settings
from tests.conftest import build_test_settings, free_port

RENKEI_METRICS = (
    "renkei_flow_steps", "renkei_ivr_calls", "renkei_tokens_issued", "renkei_emails",
    "renkei_http_requests", "renkei_http_requests_in_flight",
)  # fmt: skip


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each sample of a Prometheus text page, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


async def test_a_client_on_this_machine_reads_process_and_renkei_metrics(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=")
    assert {"process_cpu_seconds", "process_resident_memory_bytes", *RENKEI_METRICS} <= families(response.text)
    # The scrape itself is the one request in progress.
    assert samples(response.text)[("renkei_http_requests_in_flight", ())] == 1.0


async def test_a_counter_incremented_elsewhere_shows_on_the_next_scrape(client: httpx.AsyncClient) -> None:
    key = ("renkei_flow_steps_total", (("outcome", "failure"), ("reason", "B87"), ("step", "pin")))
    before = samples((await client.get("/metrics")).text).get(key, 0.0)
    FLOW_STEPS.labels(step="pin", outcome="failure", reason="B87").inc()
    assert samples((await client.get("/metrics")).text)[key] == before + 1


async def test_answered_requests_are_counted_by_status_class(client: httpx.AsyncClient) -> None:
    key = ("renkei_http_requests_total", (("status", "4xx"),))
    before = samples((await client.get("/metrics")).text).get(key, 0.0)
    assert (await client.get("/no-such-page")).status_code == 404
    assert samples((await client.get("/metrics")).text)[key] == before + 1


async def test_a_client_on_another_host_is_refused_without_a_token(server) -> None:  # type: ignore[no-untyped-def]
    # The running app, reached as if from 203.0.113.5 (uvicorn on loopback cannot be reached from elsewhere).
    transport = httpx.ASGITransport(app=server.app, client=("203.0.113.5", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=server.url) as remote:
        response = await remote.get("/metrics")
    assert response.status_code == 403 and "RENKEI_METRICS_TOKEN" in response.text


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
async def test_a_request_relayed_by_a_proxy_on_this_machine_is_not_treated_as_local(
    client: httpx.AsyncClient, header: str
) -> None:
    value = "for=203.0.113.5" if header == "Forwarded" else "203.0.113.5"
    response = await client.get("/metrics", headers={header: value})
    assert response.status_code == 403


@pytest.fixture
def token_settings(database_url: str) -> Settings:
    return build_test_settings(database_url, RENKEI_METRICS_TOKEN="scrape-me-7f3a9c")


@pytest.mark.parametrize(("authorization", "status"), [
    pytest.param(None, 401, id="no token, even on this machine"),
    pytest.param("Bearer wrong-token", 401, id="wrong token"),
    pytest.param("Basic c2NyYXBlLW1lLTdmM2E5Yw==", 401, id="not a Bearer token"),
    pytest.param("Bearer scrape-me-7f3a9c", 200, id="the token"),
    pytest.param("bearer scrape-me-7f3a9c", 200, id="the scheme in any case"),
])  # fmt: skip
async def test_with_a_token_configured_every_scraper_must_bring_it(
    start_server, token_settings: Settings, authorization: str | None, status: int
) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(token_settings)
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


async def test_with_a_token_a_scraper_on_another_host_is_served(start_server, token_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(token_settings)
    transport = httpx.ASGITransport(app=server.app, client=("203.0.113.5", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=server.url) as remote:
        response = await remote.get("/metrics", headers={"Authorization": "Bearer scrape-me-7f3a9c"})
    assert response.status_code == 200 and "renkei_emails_total" in response.text


# --- several worker processes ------------------------------------------------------------


def test_workers_get_one_fresh_metrics_directory_that_is_removed_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with shared_between_workers(1):
        assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    with shared_between_workers(4):
        directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        assert directory.is_dir() and not any(directory.iterdir())
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ and not directory.exists()


async def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"the workers exited: {log.read_text()[-2000:]}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the workers did not answer within 30 s")


async def _many_fresh_connections(url: str, count: int) -> None:
    """Requests on separate connections, so the kernel hands them to either worker."""

    async def one() -> None:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/healthz")).status_code == 200

    await asyncio.gather(*(one() for _ in range(count)))


@asynccontextmanager
async def two_workers(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """``uvicorn --workers 2`` sharing a metrics directory, serving; its URL."""
    port, log = free_port(), tmp_path / "workers.log"
    (tmp_path / "metrics").mkdir()
    env = {**os.environ, "DATABASE_URL": database_url, "RENKEI_ENV": "development",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.slow
async def test_two_workers_show_one_sum_whichever_answers_the_scrape(database_url: str, tmp_path: Path, db) -> None:  # type: ignore[no-untyped-def]
    async with two_workers(database_url, tmp_path) as url:
        await _many_fresh_connections(url, 60)
        answered = ("renkei_http_requests_total", (("status", "2xx"),))
        for _ in range(8):  # each scrape lands on either worker
            async with httpx.AsyncClient() as client:
                assert samples((await client.get(f"{url}/metrics")).text)[answered] >= 60
