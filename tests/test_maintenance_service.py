"""The maintenance service: the shipped calendar, config errors, and staff windows on every process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.clock import TOKYO, FrozenClock
from server.db import maintenance_windows
from server.db.listener import APPLICATION_NAME
from server.maintenance import MaintenanceService, calendar_rules_from_settings
from server.policy.maintenance import default_rules
from server.settings import DEFAULT_CONFIG, ConfigError, Settings, load_settings


def tokyo(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TOKYO)


async def eventually(condition: Callable[[], bool], within: float = 1.0) -> bool:
    """True as soon as ``condition()`` holds, False if it still does not after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


# --- the published calendar from config/renkei.toml ---------------------------------------


def test_the_shipped_config_yields_exactly_the_contracts_published_rules(settings: Settings) -> None:
    rules = calendar_rules_from_settings(settings)
    assert len(rules) == len(default_rules()) and set(rules) == set(default_rules())


@pytest.mark.parametrize(
    ("moment", "closed_until"),
    [
        pytest.param(tokyo(2026, 11, 24, 3, 59, 59), None, id="open one second before the daily 04:00 window"),
        pytest.param(tokyo(2026, 11, 24, 4, 0), tokyo(2026, 11, 24, 4, 5), id="closed at 04:00"),
        pytest.param(tokyo(2026, 11, 24, 4, 5), None, id="open again at 04:05"),
        pytest.param(tokyo(2026, 11, 24, 0, 0, 30), tokyo(2026, 11, 24, 0, 1), id="closed in the first minute of the day"),
        pytest.param(tokyo(2026, 12, 7, 2, 0), tokyo(2026, 12, 7, 6, 0), id="closed 02:00-06:00 on the 1st Monday"),
        pytest.param(tokyo(2026, 12, 14, 3, 0), None, id="open on the 2nd Monday at 03:00"),
        pytest.param(tokyo(2026, 12, 12, 23, 50), tokyo(2026, 12, 13, 7, 0), id="closed from 23:50 before the 2nd Sunday"),
        pytest.param(tokyo(2027, 1, 1, 19, 0), tokyo(2027, 1, 2, 8, 0), id="New Year evening runs into the next morning"),
    ],
)
def test_the_shipped_calendar_closes_and_opens_when_the_bank_published(
    settings: Settings, moment: datetime, closed_until: datetime | None
) -> None:
    window = MaintenanceService(calendar_rules_from_settings(settings)).window_at(moment)
    assert (window.ends_at if window else None) == closed_until


# --- bad [[maintenance.*]] tables ---------------------------------------------------------

BAD_TABLES: list[Any] = [
    pytest.param({"daily": ({"start": "04:00", "end": "25:00"},)}, "maintenance.daily #1: end must be", id="hour 25"),
    pytest.param({"daily": ({"end": "04:05"},)}, "maintenance.daily #1: start must be", id="start missing"),
    pytest.param({"daily": ({"start": "4:00", "end": "04:05"},)}, "maintenance.daily #1: start must be", id="no leading zero"),
    pytest.param(
        {"daily": ({"start": "00:00", "end": "00:01"}, {"start": "04:05", "end": "04:00"})},
        "maintenance.daily #2: a window must end after it starts",
        id="second table ends before it starts",
    ),
    pytest.param({"daily": ({"start": "04:00", "end": "04:05", "stop": "x"},)}, "unknown key 'stop'", id="unknown key"),
    pytest.param(
        {"nth_weekday": ({"weekday": "mon", "weeks": [1], "start": "02:00", "end": "06:00"},)},
        "maintenance.nth_weekday #1: weekday must be",
        id="abbreviated weekday",
    ),
    pytest.param(
        {"nth_weekday": ({"weekday": "monday", "weeks": [6], "start": "02:00", "end": "06:00"},)},
        "maintenance.nth_weekday #1: weeks must be",
        id="a sixth week",
    ),
    pytest.param(
        {"before_nth_sunday": ({"weeks": [2], "start_day_before": "23:50", "end": "24:00"},)},
        "maintenance.before_nth_sunday #1: end must be",
        id="Sunday window ending at 24:00",
    ),
    pytest.param(
        {"yearly": ({"month": 13, "days": [1], "start": "00:00", "end": "08:00"},)},
        "maintenance.yearly #1: month must be",
        id="month 13",
    ),
    pytest.param(
        {"yearly": ({"month": 2, "days": [30], "start": "00:00", "end": "08:00"},)},
        "maintenance.yearly #1: days (30,) do not all exist in month 2",
        id="30 February",
    ),
    pytest.param({"weekly": ({"start": "00:00", "end": "01:00"},)}, "maintenance.weekly is not a kind of rule", id="unknown kind"),
]


@pytest.mark.parametrize(("tables", "message"), BAD_TABLES)
def test_a_bad_maintenance_table_is_refused_naming_table_and_key(settings: Settings, tables: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        calendar_rules_from_settings(settings.with_changes(maintenance=tables))


def test_a_bad_table_in_a_config_file_is_reported_with_the_files_name(tmp_path: Path, database_url: str) -> None:
    config = tmp_path / "renkei.toml"
    config.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8").replace('end = "04:05"', 'end = "4:05pm"'), encoding="utf-8")
    settings = load_settings(environ={"DATABASE_URL": database_url}, config_file=config)
    with pytest.raises(ConfigError, match=rf"{config}: maintenance.daily #2: end must be a time"):
        calendar_rules_from_settings(settings)


# --- staff windows, on every process ------------------------------------------------------


async def test_a_window_added_on_one_process_closes_the_service_on_another_within_a_second(
    start_server, settings: Settings, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    first, second = await start_server(settings), await start_server(settings)
    now = clock.now()
    assert second.runtime.extras["maintenance"].window_at(now) is None
    await maintenance_windows.add_window(first.runtime.pool, now, now + timedelta(minutes=30), "臨時メンテナンス", "hq-admin", now)
    closed = lambda: second.runtime.extras["maintenance"].window_at(now) is not None  # noqa: E731
    assert await eventually(closed)
    window = second.runtime.extras["maintenance"].window_at(now)
    assert window.ends_at == now + timedelta(minutes=30) and window.labels == ("臨時メンテナンス",)


async def test_a_window_cancelled_on_one_process_reopens_the_service_on_another_within_a_second(
    start_server, settings: Settings, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    first = await start_server(settings)
    added = await maintenance_windows.add_window(first.runtime.pool, now, now + timedelta(hours=1), "DB更新", "hq-admin", now)
    second = await start_server(settings)  # loads the window at start
    assert second.runtime.extras["maintenance"].window_at(now) is not None
    assert await maintenance_windows.cancel_window(first.runtime.pool, added["id"], "hq-admin", now) is not None
    assert await eventually(lambda: second.runtime.extras["maintenance"].window_at(now) is None)
    assert await maintenance_windows.cancel_window(first.runtime.pool, added["id"], "hq-admin", now) is None


async def test_a_window_added_in_a_transaction_that_rolls_back_closes_nothing(
    server, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    now, service = clock.now(), server.runtime.extras["maintenance"]
    async with server.runtime.pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await maintenance_windows.add_window(conn, now, now + timedelta(hours=1), "取消", "hq-admin", now)
                raise RuntimeError("the console's transaction failed")
    later = now + timedelta(hours=2)
    await maintenance_windows.add_window(server.runtime.pool, later, later + timedelta(hours=1), "本番", "hq-admin", now)
    assert await eventually(lambda: service.window_at(later) is not None)
    assert service.window_at(now) is None


async def test_a_window_added_while_the_listening_connection_was_down_is_seen_after_it_reconnects(
    server, db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    now, service = clock.now(), server.runtime.extras["maintenance"]
    listener = server.runtime.extras["maintenance_listener"]
    terminated = await db.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    assert terminated == 1
    await maintenance_windows.add_window(db, now, now + timedelta(minutes=10), "回線断の間に追加", "hq-admin", now)
    assert await eventually(lambda: service.window_at(now) is not None, within=3.0)
    assert listener.connections == 2


async def test_the_console_sees_staff_windows_merged_with_the_published_ones(server, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    now, service = clock.now(), server.runtime.extras["maintenance"]
    night = tokyo(2026, 11, 25, 3, 30)
    await maintenance_windows.add_window(server.runtime.pool, night, tokyo(2026, 11, 25, 4, 2), "夜間作業", "hq-admin", now)
    assert await eventually(lambda: service.window_at(night) is not None)
    windows = service.windows_between(tokyo(2026, 11, 25, 0, 30), tokyo(2026, 11, 25, 12, 0))
    assert [(w.starts_at, w.ends_at) for w in windows] == [(night, tokyo(2026, 11, 25, 4, 5))]
    assert "夜間作業" in windows[0].labels and "daily 04:00–04:05" in windows[0].labels


@pytest.mark.parametrize(
    ("starts", "ends", "reason"),
    [
        pytest.param(tokyo(2026, 11, 24, 11), tokyo(2026, 11, 24, 10), "逆", id="ends before it starts"),
        pytest.param(tokyo(2026, 11, 24, 10), tokyo(2026, 11, 24, 10), "空", id="empty"),
        pytest.param(tokyo(2026, 11, 24, 10), tokyo(2026, 11, 24, 11), "  ", id="no reason"),
        pytest.param(datetime(2026, 11, 24, 10), tokyo(2026, 11, 24, 11), "naive", id="a naive start"),
    ],
)
async def test_a_window_that_makes_no_sense_is_refused_and_not_stored(
    db, clock: FrozenClock, starts: datetime, ends: datetime, reason: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        await maintenance_windows.add_window(db, starts, ends, reason, "hq-admin", clock.now())
    assert await db.fetchval("SELECT count(*) FROM maintenance_window") == 0


async def test_list_windows_shows_cancelled_windows_to_the_console_unless_asked_not_to(db, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    now = clock.now()
    kept = await maintenance_windows.add_window(db, now, now + timedelta(hours=1), "残す", "hq-admin", now)
    dropped = await maintenance_windows.add_window(db, now, now + timedelta(hours=2), "取消す", "hq-admin", now)
    await maintenance_windows.cancel_window(db, dropped["id"], "hq-admin", now)
    everything = await maintenance_windows.list_windows(db, now, now + timedelta(days=1))
    in_force = await maintenance_windows.list_windows(db, now, now + timedelta(days=1), include_cancelled=False)
    assert [r["id"] for r in everything] == [kept["id"], dropped["id"]]
    assert [r["id"] for r in in_force] == [kept["id"]]
    assert everything[1]["cancelled_by"] == "hq-admin"
