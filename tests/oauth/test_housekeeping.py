"""The one housekeeping loop of every server process: it runs rounds by itself, and a failed
round is logged and retried at the next."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta

from server.settings import Settings


async def insert_used_id(db, now) -> None:  # type: ignore[no-untyped-def]
    await db.execute("INSERT INTO dpop_proof (jti, seen_at, forget_after) VALUES ('dpop:x', $1, $2)",
                     now - timedelta(minutes=5), now - timedelta(seconds=1))


async def gone_within(db, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 10)):
        if not await db.fetchval("SELECT count(*) FROM dpop_proof"):
            return True
        await asyncio.sleep(0.1)
    return False


def every_second(settings: Settings) -> Settings:
    return replace(settings, retention=replace(settings.retention, every_seconds=1))


async def test_each_server_process_runs_rounds_by_itself(start_server, settings, db, clock) -> None:  # type: ignore[no-untyped-def]
    await start_server(every_second(settings))
    await start_server(every_second(settings))
    await insert_used_id(db, clock.now())
    assert await gone_within(db, 5)


async def test_a_failed_round_is_logged_and_the_next_round_tries_again(start_server, settings, db, clock, log_lines) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(every_second(settings))
    working_url = server.runtime.database_url
    server.runtime.database_url = "postgresql://renkei@127.0.0.1:1/nowhere"  # the database is unreachable
    await insert_used_id(db, clock.now())
    assert not await gone_within(db, 2.5)
    failures = [json.loads(line) for line in log_lines if "retention.round_failed" in line]
    assert failures and all(set(f) >= {"error", "level"} and f["level"] == "warning" for f in failures)
    server.runtime.database_url = working_url
    assert await gone_within(db, 5)
