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
