"""Head office's figures: ``GET /staff/api/stats?from=&to=`` (contract §12), and the reading the dashboard shares.

Head office sees every branch; a branch clerk sees the flows of their own
branch's accounts only (and so no app's figures of other branches' customers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.db import stats
from server.policy.locks import tokyo_day
from server.policy.stats import BadPeriod, Period, fold, read_period
from server.runtime import Runtime
from server.staff import sessions
from server.staff.guard import api, json_error, json_response
from server.staff.permissions import Permission, StaffMember
from server.web.database import connection


async def figures(runtime: Runtime, staff: StaffMember, period: Period) -> dict[str, Any]:
    """The range's document: three statements on the operation log and the links, in one read-only transaction."""
    branch, now, policy = staff.branch_scope, runtime.clock.now(), runtime.settings.policy
    async with connection(runtime) as conn, conn.transaction(readonly=True):
        lines = await stats.line_counts(conn, period.start, period.end, branch)
        durations = await stats.durations(conn, period.start, period.end, branch)
        links = await stats.live_links(conn, period.first, period.last, now, branch, idle_days=policy.grant_idle_days,
                                       sandbox_apps=runtime.settings.sandbox_apps_allowed,
                                       code_seconds=policy.authorization_code_seconds)
        names = await stats.app_names(conn)
    return fold(period, lines, durations, links, names)


def period_of(request: Request, now: datetime) -> Period:
    """The ``from`` and ``to`` query parameters (each defaults to today, Tokyo), or ``BadPeriod``."""
    return read_period(request.query_params.get("from"), request.query_params.get("to"), tokyo_day(now))


@api(Permission.STATS_READ)
async def stats_api(request: Request, staff: StaffMember) -> Response:
    runtime = sessions.runtime_of(request)
    try:
        period = period_of(request, runtime.clock.now())
    except BadPeriod as bad:
        return json_error(400, "invalid_request", str(bad))
    return json_response(await figures(runtime, staff, period))


routes = [Route("/staff/api/stats", stats_api, methods=["GET"])]
