"""The ceiling each scenario is compared with: a bare Starlette + asyncpg app, no logic at all.

Served by uvicorn exactly as `renkei serve` is (its supervisor, uvloop and
httptools), on the same database, with the same pool size. Each endpoint
answers the same request the scenario sends, with the same number of SQL round
trips of the same kind (the counting pass checks the numbers match), and a
JSON or TwiML answer of about the same size. What it skips is everything that
makes Renkei correct: authentication, validation, signing, templates, logging.

    uvicorn bench_suite.baseline:app   (DATABASE_URL names the database)
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ROWS = 10_000
POOL_MIN, POOL_MAX = 2, 10  # Renkei's defaults (config/renkei.toml [database])

READ = "SELECT id, n, body FROM bench_row WHERE id = $1"
LOCK = "SELECT id, n FROM bench_row WHERE id = $1 FOR UPDATE"
UPDATE = "UPDATE bench_row SET n = n + 1 WHERE id = $1 RETURNING n"
INSERT = "INSERT INTO bench_insert (row_id, body) VALUES ($1, $2)"

# Renkei's round trips per request of each scenario, by kind (see the counting pass in docs/PERFORMANCE.md).
INTROSPECT = (READ,)
# The token and its grant, then one statement that writes, a transaction by itself (the client is remembered).
REFRESH = (READ, INSERT)
WEBHOOK_IN_TRANSACTION = (INSERT, UPDATE, UPDATE, INSERT, READ)  # + BEGIN and COMMIT
STAFF_LOCK = (UPDATE, READ, READ, READ)

SCHEMA = """
CREATE TABLE IF NOT EXISTS bench_row (id integer PRIMARY KEY, n bigint NOT NULL, body text NOT NULL);
CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, row_id integer NOT NULL, body text NOT NULL);
INSERT INTO bench_row SELECT n, 0, md5(n::text) FROM generate_series(1, 10000) AS n ON CONFLICT DO NOTHING;
"""


async def create_tables(conn: asyncpg.Connection) -> None:
    """Run by the benchmark before the baseline starts."""
    await conn.execute(SCHEMA)


async def _run(conn: asyncpg.Connection, statements: tuple[str, ...]) -> list[asyncpg.Record]:
    rows = []
    for sql in statements:
        args = (random.randint(1, ROWS), secrets.token_hex(16)) if sql == INSERT else (random.randint(1, ROWS),)
        if sql == INSERT:
            await conn.execute(sql, *args)
        else:
            rows.append(await conn.fetchrow(sql, *args))
    return rows


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def introspect(request: Request) -> Response:
    await request.body()
    async with _pool(request).acquire() as conn:
        row = (await _run(conn, INTROSPECT))[0]
    return JSONResponse({"active": True, "token_type": "Bearer", "scope": "accounts:read transactions:read",
                         "client_id": "demo-sandbox", "sub": row["body"], "aud": "http://127.0.0.1/api",
                         "iss": "http://127.0.0.1", "exp": 1, "iat": 0, "jti": row["body"], "account": "001-1-***4567"})


async def token(request: Request) -> Response:
    await request.body()
    async with _pool(request).acquire() as conn:
        await _run(conn, REFRESH)
    return JSONResponse({"access_token": secrets.token_urlsafe(400), "token_type": "Bearer", "expires_in": 600,
                         "scope": "accounts:read transactions:read", "refresh_token": secrets.token_urlsafe(32)},
                        headers={"Cache-Control": "no-store"})


async def voice(request: Request) -> Response:
    await request.body()
    async with _pool(request).acquire() as conn, conn.transaction():
        await _run(conn, WEBHOOK_IN_TRANSACTION)
    return PlainTextResponse('<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>',
                             media_type="application/xml")


async def staff_lock(request: Request) -> Response:
    async with _pool(request).acquire() as conn:
        await _run(conn, STAFF_LOCK)
    unlocked = {"locked": False, "until": None, "failures": 0}
    return JSONResponse({"identity": unlocked, "pin": unlocked})


async def ready(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """As Renkei's pool (server.db.pool): no reset query on release, so round trips match one for one."""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=POOL_MIN, max_size=POOL_MAX,
                                               reset=_keep_session)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(routes=[
    Route("/introspect", introspect, methods=["POST"]),
    Route("/token", token, methods=["POST"]),
    Route("/ivr/voice", voice, methods=["POST"]),
    Route("/staff/api/accounts/{key}/lock", staff_lock, methods=["GET"]),
    Route("/ready", ready),
], lifespan=lifespan)
