"""Every console view declares its permission here; the check runs on the server, every time.

``@page(Permission.X)`` for HTML screens (no session: to the sign-in page) and
``@api(Permission.X)`` for /staff/api/ (no session: 401 JSON). Both refuse a
state-changing request without the session's CSRF token: pages read it from the
form's ``csrf_token``, the API from the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from server.staff import render, sessions
from server.staff.permissions import Permission, StaffMember
from server.web.forms import MalformedForm, read_form

View = Callable[[Request, StaffMember], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
SAFE_METHODS = frozenset({"GET", "HEAD"})
JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=JSON_HEADERS)


def json_error(status: int, error: str, description: str | None = None) -> JSONResponse:
    body = {"error": error} | ({"error_description": description} if description else {})
    return json_response(body, status)


class _Answers(Protocol):
    """How one kind of view says no, and where its CSRF token travels."""

    def unauthenticated(self, request: Request) -> Response: ...
    def forbidden(self, request: Request, staff: StaffMember, permission: Permission) -> Response: ...
    async def presented_csrf(self, request: Request) -> str | None: ...
    def bad_csrf(self, request: Request, staff: StaffMember) -> Response: ...


class _PageAnswers:
    def unauthenticated(self, request: Request) -> Response:
        return RedirectResponse("/staff/login", status_code=303)

    def forbidden(self, request: Request, staff: StaffMember, permission: Permission) -> Response:
        _ = render.gettext_of(request)
        return render.problem(request, staff=staff, status=403, title=_("Not allowed"), text=_("Your role does not allow this."))

    async def presented_csrf(self, request: Request) -> str | None:
        try:
            request.state.form = await read_form(request)
        except MalformedForm:
            request.state.form = {}
        return request.state.form.get("csrf_token")

    def bad_csrf(self, request: Request, staff: StaffMember) -> Response:
        _ = render.gettext_of(request)
        return render.problem(request, staff=staff, status=403, title=_("The form has expired"),
                              text=_("Please open the page again and repeat what you were doing."))


class _ApiAnswers:
    def unauthenticated(self, request: Request) -> Response:
        return json_error(401, "unauthenticated", "sign in at /staff/login")

    def forbidden(self, request: Request, staff: StaffMember, permission: Permission) -> Response:
        return json_error(403, "forbidden", f"needs {permission.value}")

    async def presented_csrf(self, request: Request) -> str | None:
        return request.headers.get("x-csrf-token")

    def bad_csrf(self, request: Request, staff: StaffMember) -> Response:
        return json_error(403, "csrf", "the X-CSRF-Token header is missing or wrong")


def _guarded(permission: Permission, answers: _Answers) -> Callable[[View], Endpoint]:
    def decorate(view: View) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            staff = await sessions.current_staff(request)
            if staff is None:
                return answers.unauthenticated(request)
            if not staff.can(permission):
                return answers.forbidden(request, staff, permission)
            if request.method not in SAFE_METHODS and not sessions.csrf_ok(request, await answers.presented_csrf(request)):
                return answers.bad_csrf(request, staff)
            return await view(request, staff)

        functools.update_wrapper(endpoint, view)
        endpoint.permission = permission  # type: ignore[attr-defined]
        return endpoint

    return decorate


def page(permission: Permission) -> Callable[[View], Endpoint]:
    """An HTML screen: no session → the sign-in page; CSRF token in the form's ``csrf_token``."""
    return _guarded(permission, _PageAnswers())


def api(permission: Permission) -> Callable[[View], Endpoint]:
    """A /staff/api/ call: no session → 401 JSON; CSRF token in the ``X-CSRF-Token`` header."""
    return _guarded(permission, _ApiAnswers())


def form_of(request: Request) -> dict[str, str]:
    """The form a ``@page`` view's POST carried (already read and CSRF-checked)."""
    return getattr(request.state, "form", {})
