"""``/staff/dashboard``: the day (or a range of days) at a glance, as pictures with their numbers in tables.

The figures are those of ``GET /staff/api/stats`` (server.staff.figures), in
the clerk's branch scope; this module only chooses what each chart draws.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.flow.stages import STAGES
from server.policy.locks import tokyo_day
from server.policy.stats import BadPeriod, Period, stopped_share
from server.staff import render, sessions
from server.staff.charts import Bar, Column, Series, horizontal_bars, stacked_columns
from server.staff.figures import figures, period_of
from server.staff.guard import page
from server.staff.permissions import Permission, StaffMember
from server.web.i18n import N_

Gettext = Callable[..., str]
CALL_SERIES = (("matched", N_("Matched")), ("late", N_("Late")), ("unregistered", N_("Unregistered number")),
               ("withheld", N_("Number withheld")))


def funnel(_: Gettext, document: dict[str, Any]) -> tuple[Markup, list[dict[str, Any]]]:
    rows = [{"label": _("Authorizations started"), "passed": document["started"], "stopped": None}]
    for (number, passed, share), stage in zip(stopped_share(document["started"], document["stages"]), STAGES):
        rows.append({"label": f"{stage.number} {_(stage.title)}", "passed": passed, "stopped": round(share * 100)})
    bars = [Bar(row["label"], row["passed"], "" if row["stopped"] is None else _("stopped: %(share)s%%", share=row["stopped"]))
            for row in rows]
    return horizontal_bars("chart-funnel", _("How far customers got"), bars), rows


def reasons_by_day(_: Gettext, document: dict[str, Any]) -> tuple[Markup, list[str]]:
    shown = [code for code, count in document["reasons"].items() if count] or ["B82", "B87"]
    columns = [Column(day["date"][5:], {code: day["reasons"][code] for code in shown}) for day in document["days"]]
    chart = stacked_columns("chart-reasons", _("Reason codes shown, per day"), columns, [Series(code, code) for code in shown])
    return chart, list(document["reasons"])


def locks_by_day(_: Gettext, document: dict[str, Any]) -> Markup:
    columns = [Column(day["date"][5:], day["locks"]) for day in document["days"]]
    series = [Series("identity", _("Identity lock (B83)")), Series("pin", _("PIN lock (B88)"))]
    return stacked_columns("chart-locks", _("Locks engaged, per day"), columns, series)


def calls_by_hour(_: Gettext, document: dict[str, Any]) -> Markup:
    columns = [Column(f"{hour['hour']}", {key: hour[key] for key, _label in CALL_SERIES}) for hour in document["calls_by_hour"]]
    series = [Series(key, _(label)) for key, label in CALL_SERIES]
    return stacked_columns("chart-calls", _("Calls to the auth numbers, per hour (Tokyo)"), columns, series)


def apps_chart(_: Gettext, document: dict[str, Any]) -> Markup:
    bars = []
    for app in document["apps"]:
        bars += [Bar(f"{app['name']} {_('started')}", app["started"]),
                 Bar(f"{app['name']} {_('approved')}", app["approved"], css="series-2"),
                 Bar(f"{app['name']} {_('live links')}", app["live_links"], css="series-3")]
    return horizontal_bars("chart-apps", _("Apps: started, approved, live links"), bars)


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _view(_: Gettext, document: dict[str, Any]) -> dict[str, Any]:
    funnel_chart, funnel_rows = funnel(_, document)
    reasons_chart, codes = reasons_by_day(_, document)
    return {"figures": document, "funnel_chart": funnel_chart, "funnel_rows": funnel_rows, "reasons_chart": reasons_chart,
            "codes": codes, "locks_chart": locks_by_day(_, document), "calls_chart": calls_by_hour(_, document),
            "call_series": [(key, _(label)) for key, label in CALL_SERIES], "apps_chart": apps_chart(_, document),
            "minutes": minutes}


def _shortcuts(request: Request) -> dict[str, str]:
    today = tokyo_day(sessions.runtime_of(request).clock.now())
    return {"today": today.isoformat(), "week_ago": (today - timedelta(days=6)).isoformat()}


@page(Permission.STATS_READ)
async def dashboard(request: Request, staff: StaffMember) -> Response:
    _ = render.gettext_of(request)
    runtime = sessions.runtime_of(request)
    policy = runtime.settings.policy
    context = {"title": _("Dashboard"), "shortcuts": _shortcuts(request), "query": dict(request.query_params),
               "limits": {"max_days": policy.grant_max_days, "idle_days": policy.grant_idle_days}}
    try:
        period: Period = period_of(request, runtime.clock.now())
    except BadPeriod as bad:
        return render.page(request, "dashboard.html", staff=staff, status=400, error=_("Check the days: %(problem)s", problem=str(bad)),
                           figures=None, **context)
    document = await figures(runtime, staff, period)
    return render.page(request, "dashboard.html", staff=staff, **context, **_view(_, document))


routes = [Route("/staff/dashboard", dashboard, methods=["GET"])]
