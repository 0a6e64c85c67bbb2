"""/healthz and /readyz over real HTTP."""

from __future__ import annotations

import httpx


async def test_healthz_and_readyz_answer_when_the_database_does(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    assert ready.headers["x-request-id"]


async def test_readyz_says_unavailable_when_the_database_is_gone(server, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    await server.runtime.pool.close()
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"


async def test_a_draining_process_is_not_ready_and_opens_no_event_stream_but_answers_the_rest(server, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    server.runtime.lifecycle.begin_drain()  # what SIGTERM does first (server.lifecycle)
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
    stream = await client.get("/flow/phone/events")
    assert stream.status_code == 503 and stream.headers["retry-after"] == "1"
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/.well-known/oauth-authorization-server")).status_code == 200
