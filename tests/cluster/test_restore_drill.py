"""Backups and point-in-time recovery as the bank rehearses them each quarter (DEPLOYMENT.md section 9).

This file runs after test_primary_lost.py: by then the primary has failed over and been
switched over, so the WAL restored here comes from another host than the one that began.
"""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from tests.cluster.conftest import FIGURES, STATE
from tests.cluster.customers import linked
from tests.cluster.rehearsal import Cluster, eventually

pytestmark = pytest.mark.slow


async def test_a_restore_to_a_moment_holds_every_grant_committed_before_it_and_none_after(cluster: Cluster):
    """A customer links; a backup is taken from a standby; another customer links; the operator notes the
    time; a third links. The drill restores the backup and the WAL up to that time into a scratch PostgreSQL
    on the backup host: it holds the second customer's grant (from the WAL after the backup) but not the
    third's, exactly the grants committed before the time, while the live cluster keeps all three."""
    first = await _a_primary_other_than_the_first(cluster)
    await linked(cluster, "601", 1)
    taken = await cluster.run("backup", "incr")
    assert re.search(r"^(full|incr) backup \S+ in [\d.]+ s$", taken, re.MULTILINE), taken
    await linked(cluster, "602", 1)
    before, target = await _grants_and_now(cluster)
    await linked(cluster, "603", 1)
    assert (await _grants_and_now(cluster))[0] == before + 1

    drill = await cluster.run("restore-drill", "--target", target)
    assert f"oauth_grant rows: {before}\n" in drill, drill
    assert await cluster.primary() != first  # the WAL after the backup was archived by a promoted standby
    assert not (STATE / "backup" / "drill").exists()  # the scratch copy is gone
    total = re.search(r"^total ([\d.]+) s$", drill, re.MULTILINE)
    assert total
    FIGURES.append(f"restore drill to a moment (backup + WAL, scratch PostgreSQL on the backup host): {total.group(1)} s")


async def _a_primary_other_than_the_first(cluster: Cluster) -> str:
    """The host that bootstrapped the cluster; on its own, this scenario first switches the primary away from it."""
    first = cluster.names("postgres")[0]
    if await cluster.primary() == first:
        (standby,) = [m["name"] for m in await cluster.members() if m["role"] == "sync_standby"][:1]
        await cluster.switchover(first, standby)
        await eventually("the new primary", lambda: cluster.is_primary(standby))
    return first


async def _grants_and_now(cluster: Cluster) -> tuple[int, str]:
    """The grants the primary holds, and its clock's time (commit times are the primary's), in UTC."""
    conn = await cluster.database()
    try:
        grants = await conn.fetchval("SELECT count(*) FROM oauth_grant")
        now = await conn.fetchval("SELECT clock_timestamp()")
    finally:
        await conn.close()
    return grants, now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
