"""The pool: a connection comes back clean, giving it back costs no round trip, and nothing waits without end."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import asyncpg
import pytest

from scripts.bench_suite.wire import WireCounter
from server.clock import TOKYO
from server.db.pool import create_pool, pool_for

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)


async def test_a_connection_given_back_inside_a_transaction_is_rolled_back_before_anyone_reuses_it(db, database_url):
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        conn = await pool.acquire()
        transaction = conn.transaction()
        await transaction.start()  # and never finished, as a handler cancelled mid-way would leave it
        await conn.execute("INSERT INTO dpop_proof (jti, seen_at, forget_after) VALUES ('left-open', $1, $1)", NOW)
        await pool.release(conn)
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT count(*) FROM dpop_proof WHERE jti = 'left-open'") == 0
    finally:
        await pool.close()


async def test_a_query_through_the_pool_costs_one_round_trip_including_giving_the_connection_back(database_url):
    relay = WireCounter(database_url)
    await relay.start()
    pool = await create_pool(relay.url(), min_size=1, max_size=1)
    try:
        await pool.fetchval("SELECT 1")  # the statement is prepared once
        before = relay.counts.round_trips
        for _ in range(5):
            assert await pool.fetchval("SELECT 1") == 1
        assert relay.counts.round_trips - before == 5
    finally:
        await pool.close()
        await relay.close()


async def test_every_pooled_connection_has_the_configured_statement_timeout(database_url, settings):
    pool = await pool_for(settings.database, database_url, min_size=2, max_size=2)
    try:
        async with pool.acquire() as first, pool.acquire() as second:
            assert [await c.fetchval("SHOW statement_timeout") for c in (first, second)] == ["30s", "30s"]
            with pytest.raises(asyncpg.QueryCanceledError):
                await first.execute("SET statement_timeout = 100; SELECT pg_sleep(2)")
    finally:
        await pool.close()


async def test_an_acquire_without_a_timeout_of_its_own_gives_up_after_the_configured_one(database_url, settings):
    quick = replace(settings.database, acquire_timeout_seconds=0.2)
    pool = await pool_for(quick, database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire():
            with pytest.raises(TimeoutError):
                await pool.fetchval("SELECT 1")  # pool.fetch* acquire inside, without a timeout argument
    finally:
        await pool.close()
