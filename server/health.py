"""/healthz (the process answers) and /readyz (the database answers too, and the process is not draining)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    if runtime.lifecycle.draining:  # stopping: the balancer sends nothing new here
        return JSONResponse({"status": "draining"}, status_code=503, headers={"Cache-Control": "no-store"})
    try:
        async with asyncio.timeout(2):
            async with runtime.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except Exception as error:  # any failure means "not ready"; say which kind
        return JSONResponse({"status": "unavailable", "database": type(error).__name__}, status_code=503, headers={"Cache-Control": "no-store"})
    return JSONResponse({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
