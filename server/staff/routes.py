"""The staff console: one module per screen, the JSON API, and the console's stylesheet."""

from __future__ import annotations

from functools import cache

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.staff import (
    account, api, approvals, dashboard, figures, locks_now, login, maintenance, oplog_search, revoke, search,
    staff_admin, unlock,
)
from server.web.templates import TEMPLATES_DIR

_STYLESHEET = TEMPLATES_DIR / "staff" / "staff.css"


@cache
def _stylesheet() -> bytes:
    return _STYLESHEET.read_bytes()


async def stylesheet(request: Request) -> Response:
    return Response(
        _stylesheet(), media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def home(request: Request) -> Response:
    return RedirectResponse("/staff/accounts", status_code=303)


routes = [
    Route("/staff", home, methods=["GET"]),
    Route("/staff/assets/staff.css", stylesheet, methods=["GET"]),
    *login.routes,
    *search.routes,
    *locks_now.routes,
    *account.routes,
    *unlock.routes,
    *approvals.routes,
    *revoke.routes,
    *maintenance.routes,
    *staff_admin.routes,
    *api.routes,
    *figures.routes,
    *dashboard.routes,
    *oplog_search.routes,
]
