"""The operation log as CSV for the auditors: exactly the morning's lines, kana intact, branch scope, an audit line
per export, and a large range streamed in little memory."""

from __future__ import annotations

import csv
import getpass
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

from server.settings import PROJECT_ROOT
from tests.cli.conftest import _clean_environment, cheap_config  # noqa: F401
from tests.headoffice.conftest import MORNING, Morning, generate_lines

DAY = MORNING.isoformat()
BOM = b"\xef\xbb\xbf"


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(BOM), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(body[len(BOM):].decode("utf-8"), newline="")))


async def ids_of_day(db: asyncpg.Pool, branch: str | None = None) -> set[str]:
    rows = await db.fetch(
        """SELECT id FROM operation_log WHERE at >= $1::date::timestamp AT TIME ZONE 'Asia/Tokyo'
             AND at < ($1::date + 1)::timestamp AT TIME ZONE 'Asia/Tokyo' AND ($2::text IS NULL OR branch_code = $2)""",
        MORNING, branch,
    )
    return {str(row["id"]) for row in rows}


async def test_head_offices_export_holds_exactly_the_mornings_lines(morning: Morning, open_console, db) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    expected = await ids_of_day(db)
    response = await clerk.http.get("/staff/api/log.csv", params={"from": DAY, "to": DAY})
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="renkei-oplog-20261124-20261124.csv"' in response.headers["content-disposition"]
    rows = rows_of(response.content)
    assert {row["id"] for row in rows} == expected and len(rows) == len(expected)
    b87 = [row for row in rows if row["reason_code"] == "B87"]
    assert len(b87) == 2 and all(row["name_kana"] == "ヤマダ タロウ" and row["branch_code"] == "002" for row in b87)
    assert rows[0]["at"].endswith("+09:00") and [row["at"] for row in rows] == sorted(row["at"] for row in rows)
    audit = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'oplog:export'")
    assert audit["staff_id"] == "hq-clerk" and audit["detail"]["filters"] == {"from": DAY, "to": DAY}
    assert str(audit["id"]) not in {row["id"] for row in rows}


async def test_a_branch_clerks_export_holds_their_branch_only(morning: Morning, open_console, db) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("branch001", branch_code="001")
    expected = await ids_of_day(db, "001")
    response = await clerk.http.get("/staff/api/log.csv", params={"from": DAY, "to": DAY, "branch": "002"})
    rows = rows_of(response.content)
    assert {row["id"] for row in rows} == expected and {row["branch_code"] for row in rows} == {"001"}
    assert any(row["reason_code"] == "B82" for row in rows) and not any(row["reason_code"] == "B87" for row in rows)
    audit = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'oplog:export'")
    assert audit["staff_id"] == "branch001" and audit["detail"]["filters"]["branch"] == "001"


async def test_a_bad_export_is_a_400_and_no_export(open_console, db) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    response = await clerk.http.get("/staff/api/log.csv", params={"from": "2026-11-24", "to": "2026-11-01"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'oplog:export'") == 0


async def test_a_formula_typed_by_someone_else_stays_text(open_console, db) -> None:  # type: ignore[no-untyped-def]
    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    await db.execute("""INSERT INTO operation_log (at, event, outcome, user_agent)
                        VALUES ('2026-11-24T10:00:00+09:00', 'flow:authorize:start', 'info', '=HYPERLINK("x")')""")
    rows = rows_of((await clerk.http.get("/staff/api/log.csv", params={"from": DAY})).content)
    assert [row["user_agent"] for row in rows if row["event"] == "flow:authorize:start"] == ["'=HYPERLINK(\"x\")"]


def export_with_the_cli(database_url: str, config: Path, out: Path, *arguments: str) -> tuple[str, int]:
    """`renkei oplog export …` in a fresh interpreter: its output and its peak resident memory (KiB)."""
    program = ("import resource, sys\nfrom server.cli import main\n"
               "main(sys.argv[1:], standalone_mode=False)\n"
               "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    environ = {**_clean_environment(), "DATABASE_URL": database_url, "RENKEI_CONFIG": str(config), "RENKEI_ENV": "development"}
    done = subprocess.run([sys.executable, "-c", program, "oplog", "export", *arguments, str(out)], capture_output=True,
                          text=True, env=environ, cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, int(done.stdout.rsplit("maxrss", 1)[1])


async def test_the_cli_exports_a_branch_and_records_the_operator(morning: Morning, db, database_url: str, cheap_config: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "branch-002.csv"
    said, _ = export_with_the_cli(database_url, cheap_config, out, "--from", DAY, "--to", DAY, "--branch", "002")
    rows = rows_of(out.read_bytes())
    assert {row["id"] for row in rows} == await ids_of_day(db, "002") and f"{len(rows)} lines written" in said
    audit = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'oplog:export'")
    assert audit["staff_id"] == f"cli:{getpass.getuser()}" and audit["detail"]["file"] == "branch-002.csv"
    assert audit["detail"]["filters"] == {"from": DAY, "to": DAY, "branch": "002"}


async def test_a_hundred_thousand_lines_stream_in_bounded_memory(db, database_url: str, cheap_config: Path,
                                                                 tmp_path: Path, open_console) -> None:  # type: ignore[no-untyped-def]
    small_day, large_day = MORNING - timedelta(days=1), MORNING
    await generate_lines(db, small_day, 1_000)
    await generate_lines(db, large_day, 100_000)
    _, small_peak = export_with_the_cli(database_url, cheap_config, tmp_path / "small.csv", "--from", small_day.isoformat(),
                                        "--to", small_day.isoformat())
    _, large_peak = export_with_the_cli(database_url, cheap_config, tmp_path / "large.csv", "--from", DAY, "--to", DAY)
    large = tmp_path / "large.csv"
    assert large.stat().st_size > 10_000_000 and len(rows_of(large.read_bytes())) == 100_000
    # Loading the range would take well over 100 MB; a batch at a time costs a few.
    assert large_peak - small_peak < 20_000, f"peak memory grew by {large_peak - small_peak} KiB"

    clerk = await open_console("hq-clerk", branch_code="000", role="hq")
    async with clerk.http.stream("GET", "/staff/api/log.csv", params={"from": DAY, "to": DAY}) as response:
        assert "content-length" not in response.headers  # streamed, not built whole
        received = b"".join([chunk async for chunk in response.aiter_bytes()])
    assert len(rows_of(received)) == 100_000 + 1  # and the clerk's sign-in
    assert json.loads(rows_of(received)[0]["detail"]) == {"n": 1}
