"""Figures read when /metrics is scraped, not counted as things happen.

The database's figures (outbox backlog, open phone checks, whether PostgreSQL
answers) are the same whichever process is asked, so each scrape reads them
with one short query. With several workers (prometheus_client's multiprocess
mode) the process figures (CPU, memory, open files) are read for every live
worker from /proc, each labelled with its pid: the standard process collector
only sees the process that answers the scrape, and is off in that mode.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from server.logs import get_logger

log = get_logger(__name__)

# One statement, on partial indexes (email_outbox_due, phone_check_open_expires).
_DATABASE_FIGURES = """
    SELECT (SELECT count(*) FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at < 'infinity') AS backlog,
           (SELECT min(created_at) FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at < 'infinity') AS oldest,
           (SELECT count(*) FROM phone_check WHERE state = 'open' AND expires_at > $1) AS open_checks
"""
_WORKER_FILE = re.compile(r"_(\d+)\.db$")


class _Fixed:
    """A collector of metric families already read."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def database_figures(pool: asyncpg.Pool, now: datetime, timeout: float) -> list[Metric]:
    up = GaugeMetricFamily("renkei_database_up", "1 when PostgreSQL answered this scrape's query, else 0")
    try:
        async with pool.acquire(timeout=timeout) as conn:
            row = await conn.fetchrow(_DATABASE_FIGURES, now, timeout=timeout)
    except Exception as error:  # a scrape reports the outage instead of failing
        log.warning("metrics.database_unreachable", error=type(error).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    backlog = GaugeMetricFamily("renkei_outbox_backlog", "Completion notices waiting to be sent (given-up ones excluded)")
    backlog.add_metric([], row["backlog"])
    age = GaugeMetricFamily("renkei_outbox_oldest_age_seconds", "Age of the oldest notice waiting to be sent (0: none)")
    age.add_metric([], (now - row["oldest"]).total_seconds() if row["oldest"] else 0)
    checks = GaugeMetricFamily("renkei_phone_checks_open", "Auth numbers shown and waiting for the customer's call")
    checks.add_metric([], row["open_checks"])
    return [up, backlog, age, checks]


def live_worker_pids(directory: str) -> list[int]:
    """The workers that wrote metrics into ``directory`` and still run."""
    pids = {int(m[1]) for name in os.listdir(directory) if (m := _WORKER_FILE.search(name))}
    return sorted(pid for pid in pids if Path(f"/proc/{pid}").exists())


def worker_process_figures(directory: str) -> list[Metric]:
    """process_* of every live worker, one series per pid."""
    merged: dict[str, Metric] = {}
    for pid in live_worker_pids(directory):
        collector = ProcessCollector(pid=lambda pid=pid: pid, registry=None)
        for family in collector.collect():
            into = merged.setdefault(family.name, Metric(family.name, family.documentation, family.type))
            for sample in family.samples:
                into.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
    return list(merged.values())


def exposition_of(families: list[Metric]) -> bytes:
    registry = CollectorRegistry()
    registry.register(_Fixed(families))  # type: ignore[arg-type]
    return generate_latest(registry)
