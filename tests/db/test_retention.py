"""Retention rounds on the real database: what must go goes, what must stay stays, once each."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from server.clock import FrozenClock
from server.db import retention as sql
from server.policy.retention import Table, may_go
from server.retention import cutoffs_for, run_round
from server.settings import Settings
from tests.db.retention_world import build_world, described_rows, survivors


def expected(cases) -> tuple[dict[Table, set], Counter]:  # type: ignore[no-untyped-def]
    staying = {table: set() for table in Table}
    going: Counter = Counter()
    for case in cases:
        if case.goes:
            going[case.table] += 1
        else:
            staying[case.table].add(case.key)
    return staying, going


def deleted_counted(table: Table) -> float:
    return REGISTRY.get_sample_value("renkei_retention_rows_total", {"table": table.value}) or 0.0


async def test_a_round_takes_exactly_the_rows_nothing_reads_any_more(db: asyncpg.Pool, clock: FrozenClock,
                                                                      settings: Settings) -> None:
    cases = await build_world(db, clock.now())
    staying, going = expected(cases)
    before = {table: deleted_counted(table) for table in Table}
    async with db.acquire() as conn:
        counts = await run_round(conn, settings, clock.now())
    left = await survivors(db)
    for case in cases:
        assert (case.key not in left[case.table]) is case.goes, case.why
    assert counts == {table: going[table] for table in Table}
    assert {table: deleted_counted(table) - before[table] for table in Table} == counts  # what /metrics shows
    assert await db.fetchval("SELECT count(*) FROM phone_check WHERE state = 'void'") == 1  # voided, not deleted


async def test_the_sql_decides_every_row_as_the_pure_policy_does(db: asyncpg.Pool, clock: FrozenClock,
                                                                 settings: Settings) -> None:
    cases = await build_world(db, clock.now())
    cut = cutoffs_for(settings, clock.now())
    for table in Table:
        rows = await described_rows(db, table)
        by_policy = {key for key, row in rows.items() if may_go(table, row, cut)}
        by_case = {case.key for case in cases if case.table is table and case.goes}
        async with db.acquire() as conn:
            assert await sql.count_due(conn, table, cut) == len(by_policy), table
        assert by_policy == by_case, table


async def test_small_batches_take_the_same_rows(db: asyncpg.Pool, clock: FrozenClock, settings: Settings) -> None:
    cases = await build_world(db, clock.now())
    _, going = expected(cases)
    small = replace(settings, retention=replace(settings.retention, batch_size=1))
    async with db.acquire() as conn:
        counts = await run_round(conn, small, clock.now())
        again = await run_round(conn, small, clock.now())
    assert counts == {table: going[table] for table in Table}
    assert set(again.values()) == {0}


async def test_a_dry_run_counts_what_a_round_would_take_and_changes_nothing(db: asyncpg.Pool, clock: FrozenClock,
                                                                            settings: Settings) -> None:
    cases = await build_world(db, clock.now())
    _, going = expected(cases)
    before = await survivors(db)
    async with db.acquire() as conn:
        counts = await run_round(conn, settings, clock.now(), dry_run=True)
    assert counts == {table: going[table] for table in Table}
    assert await survivors(db) == before


async def test_the_operation_log_is_never_touched(db: asyncpg.Pool, clock: FrozenClock, settings: Settings) -> None:
    await db.execute("INSERT INTO operation_log (at, event, outcome) VALUES ($1, 'flow:start', 'info')",
                     clock.now() - timedelta(days=3650))
    async with db.acquire() as conn:
        await run_round(conn, settings, clock.now())
    assert await db.fetchval("SELECT count(*) FROM operation_log") == 1


async def test_two_processes_running_a_round_at_once_take_each_row_once_without_error(
        db: asyncpg.Pool, clock: FrozenClock, settings: Settings, database_url: str) -> None:
    cases = await build_world(db, clock.now())
    _, going = expected(cases)
    small = replace(settings, retention=replace(settings.retention, batch_size=1))
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        results = await asyncio.gather(run_round(first, small, clock.now()), run_round(second, small, clock.now()))
    finally:
        await first.close()
        await second.close()
    worked = [r for r in results if r is not None]
    assert worked, "one of them works"
    assert {table: sum(r[table] for r in worked) for table in Table} == {table: going[table] for table in Table}


async def test_batches_racing_without_the_lock_still_delete_each_row_once(db: asyncpg.Pool, clock: FrozenClock,
                                                                          settings: Settings, database_url: str) -> None:
    await build_world(db, clock.now())
    grant = await db.fetchval("SELECT id FROM oauth_grant LIMIT 1")
    old = clock.now() - timedelta(days=3)
    await db.execute(
        """INSERT INTO access_token (jti, grant_id, issued_at, expires_at)
           SELECT 'many-' || n, $1, $2, $2 FROM generate_series(1, 600) AS n""",
        grant, old,
    )
    cut = cutoffs_for(settings, clock.now())
    due = await db.fetchval("SELECT count(*) FROM access_token WHERE expires_at < $1", cut.access_token_expired)
    connections = [await asyncpg.connect(database_url) for _ in range(2)]

    async def drain(conn: asyncpg.Connection) -> int:
        total = 0
        while done := await sql.delete_batch(conn, Table.ACCESS_TOKEN, cut, 25):
            total += done
        return total

    try:
        taken = await asyncio.gather(*(drain(conn) for conn in connections))
    finally:
        for conn in connections:
            await conn.close()
    assert sum(taken) == due and all(taken)
    assert await db.fetchval("SELECT count(*) FROM access_token WHERE expires_at < $1", cut.access_token_expired) == 0


async def test_a_round_is_skipped_while_another_process_holds_the_lock(db: asyncpg.Pool, clock: FrozenClock,
                                                                       settings: Settings, database_url: str) -> None:
    await build_world(db, clock.now())
    holder = await asyncpg.connect(database_url)
    try:
        assert await sql.take_lock(holder)
        async with db.acquire() as conn:
            assert await run_round(conn, settings, clock.now()) is None
        rounds = REGISTRY.get_sample_value("renkei_retention_rounds_total", {"result": "skipped"})
        assert rounds and rounds >= 1
    finally:
        await holder.close()
    async with db.acquire() as conn:
        assert await run_round(conn, settings, clock.now()) is not None  # the lock went with the connection


@pytest.mark.parametrize("days", [1, 45])
async def test_moving_the_clock_on_lets_more_go_never_what_is_still_read(db: asyncpg.Pool, clock: FrozenClock,
                                                                         settings: Settings, days: int) -> None:
    cases = await build_world(db, clock.now())
    async with db.acquire() as conn:
        await run_round(conn, settings, clock.now() + timedelta(days=days))
    left = await survivors(db)
    for case in cases:
        if case.goes:
            assert case.key not in left[case.table], case.why
    # Whatever the day, a live grant keeps its refresh tokens, and a lock in force stays.
    assert await db.fetchval("SELECT count(*) FROM refresh_token WHERE issued_at > $1", clock.now() - timedelta(days=80)) >= 1
