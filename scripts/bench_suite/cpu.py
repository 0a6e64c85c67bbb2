"""CPU time spent per request, by who spent it: server workers, argon2 helpers, PostgreSQL, the load generator.

Read from the kernel's accounting (psutil) before and after each load, so the
report can say what one request costs in CPU, which is what capacity planning
needs, whatever else the machine was doing.
"""

from __future__ import annotations

import resource
from collections import Counter

import psutil

from bench_suite.servers import Server


def _seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def snapshot(server: Server, postgres_pid: int | None) -> Counter[str]:
    """Cumulative CPU seconds so far, per role (processes that ended meanwhile are lost, a small error)."""
    spent: Counter[str] = Counter()
    server.sampler.sample()
    for pid, (role, _) in list(server.sampler.peaks.items()):
        try:
            spent[role] += _seconds(psutil.Process(pid))
        except psutil.Error:
            pass
    if postgres_pid:
        try:
            postmaster = psutil.Process(postgres_pid)
            spent["postgres"] = sum(_seconds(p) for p in [postmaster, *postmaster.children()] if p.is_running())
        except psutil.Error:
            pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk and the flow driver, once they have ended
    spent["load generator"] = children.ru_utime + children.ru_stime
    return spent


def per_request(before: Counter[str], after: Counter[str], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, per role."""
    return {role: round((after[role] - before.get(role, 0.0)) * 1000 / max(requests, 1), 3)
            for role in after if after[role] - before.get(role, 0.0) > 0}
