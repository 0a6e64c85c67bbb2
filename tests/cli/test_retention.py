"""`renkei retention run [--dry-run]`: one round now, its rows per table printed."""

from __future__ import annotations

import re
from collections import Counter

import asyncpg

from server.clock import write_clock_offset
from server.db import retention as sql
from tests.cli.conftest import Renkei
from tests.conftest import OPEN_HOURS
from tests.db.retention_world import build_world, survivors


def printed(stdout: str) -> dict[str, tuple[int, str]]:
    lines = (re.fullmatch(r"(\w+)\s+(\d+) (.+)", line) for line in stdout.splitlines())
    return {m[1]: (int(m[2]), m[3]) for m in lines if m}


async def test_a_dry_run_prints_what_would_go_and_changes_nothing_then_a_run_deletes_it(
        renkei: Renkei, db: asyncpg.Pool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cases = await build_world(db, OPEN_HOURS)
    going = Counter(case.table.value for case in cases if case.goes)
    clock_file = tmp_path / "clock"
    write_clock_offset(clock_file, OPEN_HOURS)
    before = await survivors(db)

    dry = renkei("retention", "run", "--dry-run", env={"RENKEI_CLOCK_FILE": str(clock_file)})

    assert dry.returncode == 0, dry.stderr
    assert {table: n for table, (n, _) in printed(dry.stdout).items() if n} == dict(going)
    assert printed(dry.stdout)["phone_check"] == (1, "would be voided")
    assert printed(dry.stdout)["flow"][1] == "would be deleted"
    assert await survivors(db) == before

    run = renkei("retention", "run", env={"RENKEI_CLOCK_FILE": str(clock_file)})

    assert run.returncode == 0, run.stderr
    assert {table: n for table, (n, _) in printed(run.stdout).items() if n} == dict(going)
    assert printed(run.stdout)["access_token"][1] == "deleted"
    left = await survivors(db)
    assert all((case.key not in left[case.table]) is case.goes for case in cases)


async def test_a_run_is_refused_while_a_server_process_is_at_it(renkei: Renkei, db: asyncpg.Pool, database_url: str) -> None:
    holder = await asyncpg.connect(database_url)
    try:
        assert await sql.take_lock(holder)
        result = renkei("retention", "run")
    finally:
        await holder.close()
    assert result.returncode == 1
    assert "another process is running a round" in result.stderr
