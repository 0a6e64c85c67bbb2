"""Head office's figures as pure rules: which days a range means, and what each counted row adds where."""

from __future__ import annotations

from datetime import date

import pytest

from server.policy.log_filters import BadFilter, read_filters
from server.policy.stats import MAX_DAYS, BadPeriod, Period, fold, read_period, stopped_share

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(("first", "last", "expected"), [
    (None, None, (TODAY, TODAY)),
    ("2026-11-01", None, (date(2026, 11, 1), TODAY)),
    ("2026-11-20", "2026-11-24", (date(2026, 11, 20), TODAY)),
    ("2026-01-01", "2026-04-02", (date(2026, 1, 1), date(2026, 4, 2))),  # 92 days
])  # fmt: skip
def test_a_range_of_days(first, last, expected) -> None:  # type: ignore[no-untyped-def]
    period = read_period(first, last, TODAY)
    assert (period.first, period.last) == expected


@pytest.mark.parametrize("first, last", [
    ("2026-11-25", "2026-11-24"), ("2026-01-01", "2026-04-03"), ("2026-02-29", None), ("２０２６-11-01", None),
    ("2026-1-1", None), ("1999-12-31", None), (None, "3000-01-01"), ("2026-11-01T00:00", None), ("", "x"),
])  # fmt: skip
def test_what_is_not_a_range(first, last) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadPeriod):
        read_period(first, last, TODAY)


def test_a_day_runs_from_midnight_to_midnight_in_tokyo() -> None:
    period = Period(TODAY, TODAY)
    assert period.start.isoformat() == "2026-11-24T00:00:00+09:00" and period.end.isoformat() == "2026-11-25T00:00:00+09:00"
    assert len(Period(date(2026, 1, 1), date(2026, 4, 2)).days) == MAX_DAYS


def row(event: str, lines: int = 1, flows: int = 1, reason: str | None = None, result: str | None = None,
        day: date = TODAY, hour: int | None = None, client_id: str = "app") -> dict:
    return {"event": event, "lines": lines, "flows": flows, "reason_code": reason, "call_result": result, "day": day,
            "hour": hour, "client_id": client_id}


def test_each_row_counts_where_the_contract_says() -> None:
    rows = [row("flow:authorize:start", 4, 4), row("flow:account:success", 3, 3), row("flow:consent:approve", 1, 1),
            row("flow:customer:failure", 2, 2, reason="B82"), row("flow:customer:failure", 1, 1, reason="B83"),
            row("ivr:call", 2, 2, reason="B85", result="late", hour=10), row("ivr:call", 1, 0, result="unmatched", hour=9),
            row("flow:call:failure", 1, 1, reason="B85")]
    document = fold(Period(TODAY, TODAY), rows, [{"day": None, "median": 179.96, "p90": None}], [], {"app": "家計簿"})
    assert (document["started"], document["approved"], document["stages"]["1"], document["stages"]["6"]) == (4, 1, 3, 1)
    assert document["reasons"]["B82"] == 2 and document["reasons"]["B85"] == 1  # the late call's B85 is a call, not a screen
    assert document["locks"] == {"identity": 1, "pin": 0}
    assert document["calls"] == {"matched": 0, "late": 2, "unregistered": 1, "withheld": 0}
    assert document["calls_by_hour"][10]["late"] == 2 and document["calls_by_hour"][9]["unregistered"] == 1
    assert document["apps"] == [{"client_id": "app", "name": "家計簿", "started": 4, "approved": 1, "live_links": 0}]
    assert document["duration_seconds"] == {"median": 180.0, "p90": None}
    assert document["days"][0]["started"] == 4 and document["days"][0]["date"] == "2026-11-24"


def test_the_ranges_links_are_those_in_force_at_its_end() -> None:
    period = Period(date(2026, 11, 23), TODAY)
    links = [{"day": date(2026, 11, 23), "client_id": "app", "links": 5}, {"day": TODAY, "client_id": "app", "links": 7}]
    document = fold(period, [], [], links, {})
    assert document["apps"][0]["live_links"] == 7 and [d["apps"][0]["live_links"] for d in document["days"]] == [5, 7]


@pytest.mark.parametrize(("started", "stages", "expected"), [
    (10, {"1": 8, "2": 8, "3": 4}, [("1", 8, 0.2), ("2", 8, 0.0), ("3", 4, 0.5)]),
    (0, {"1": 0}, [("1", 0, 0.0)]),
])  # fmt: skip
def test_the_share_that_stopped_at_each_stage(started, stages, expected) -> None:  # type: ignore[no-untyped-def]
    assert stopped_share(started, stages) == expected


@pytest.mark.parametrize(("params", "scope", "expected"), [
    ({}, None, {"branch": None}),
    ({"branch": "002"}, "001", {"branch": "001"}),  # a branch clerk's own branch, whatever was asked
    ({"account": "００１-1-1234567"}, None, {"account": ("001", 1, "1234567")}),
    ({"reason": "b87", "screen": "pin", "result": "failure"}, None, {"reason": "B87", "screen": "pin", "result": "failure"}),
])  # fmt: skip
def test_log_filters(params, scope, expected) -> None:  # type: ignore[no-untyped-def]
    filters = read_filters(params, TODAY, scope)
    assert {key: getattr(filters, key) for key in expected} == expected


@pytest.mark.parametrize("params", [
    {"branch": "1"}, {"account": "001-1-123"}, {"screen": "home"}, {"result": "ok"}, {"reason": "B90"},
    {"from": "2025-01-01", "to": "2026-11-24"}, {"app": "x" * 201},
])  # fmt: skip
def test_bad_log_filters(params) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadFilter):
        read_filters(params, TODAY, None)


def test_the_audit_line_masks_the_account_it_records() -> None:
    filters = read_filters({"account": "001-1-1234567", "from": "2026-11-01"}, TODAY, None)
    assert filters.as_audit() == {"from": "2026-11-01", "to": "2026-11-24", "account": "001-1-***4567"}
