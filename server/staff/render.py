"""Rendering the console's pages: language, the signed-in clerk, CSRF token and times in Tokyo.

Pages are the customer screens' Jinja2 environment and gettext catalogs with a
base of their own (``staff/base.html``): a clerk's desk needs tables, a tablet
needs them to fold, and neither needs the customer's header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.clock import TOKYO
from server.staff import sessions
from server.staff.permissions import StaffMember
from server.web.i18n import chosen_language, preferred_language
from server.web.templates import gettext_for, render

LANG_COOKIE = "renkei_staff_lang"


def lang_of(request: Request) -> str:
    """``?lang=`` first, then the clerk's last choice, then the browser's preference; Japanese by default."""
    return (
        chosen_language(request.query_params.get("lang"))
        or chosen_language(request.cookies.get(LANG_COOKIE))
        or preferred_language(request.headers.get("accept-language"))
    )


def gettext_of(request: Request) -> Callable[..., str]:
    """``_`` in the request's language; ``_("Branch %(code)s", code="001")`` fills in named values."""
    gettext = gettext_for(lang_of(request))

    def _(msgid: str, **values: Any) -> str:
        text = gettext(msgid)
        return text % values if values else text

    return _


def tokyo_time(moment: datetime | str | None) -> str:
    """2026-11-24 10:00 (Asia/Tokyo) for a datetime or an ISO 8601 string; empty for no time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if moment else ""


def iso(moment: datetime) -> str:
    """ISO 8601 in Tokyo time, as the JSON API gives every time."""
    return moment.astimezone(TOKYO).isoformat()


def _switch_lang_url(request: Request, lang: str) -> str:
    query = dict(request.query_params) | {"lang": "en" if lang == "ja" else "ja"}
    return f"{request.url.path}?{urlencode(query)}"


def page(
    request: Request, template: str, *, staff: StaffMember | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """``staff/<template>`` for ``staff`` (None on the sign-in page) with everything the base needs."""
    lang = lang_of(request)
    context.setdefault("csrf_token", sessions.csrf_token(request) if staff else "")
    context.setdefault("message", None)
    context.setdefault("error", None)
    response = render(
        sessions.runtime_of(request).settings,
        f"staff/{template}",
        lang=lang,
        status=status,
        staff=staff,
        when=tokyo_time,
        switch_lang_url=_switch_lang_url(request, lang),
        **context,
    )
    if chosen_language(request.query_params.get("lang")) and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, path=sessions.COOKIE_PATH, httponly=True, samesite="strict",
                            secure=sessions.runtime_of(request).settings.secure_cookies)
    return response


def after_action(request: Request, done_messages: Mapping[str, str], context: dict[str, Any], **defaults: Any) -> dict[str, Any]:
    """A screen's context once an action redirected back: ``?done=`` becomes its message; no field errors yet."""
    done = done_messages.get(request.query_params.get("done", ""))
    context.setdefault("message", gettext_of(request)(done) if done else None)
    context.setdefault("field_errors", {})
    for name, value in defaults.items():
        context.setdefault(name, value)
    return context


def problem(request: Request, *, staff: StaffMember | None, status: int, title: str, text: str) -> HTMLResponse:
    """A page that only says what went wrong (not found, not allowed, form expired)."""
    return page(request, "problem.html", staff=staff, status=status, status_code=status, title=title, text=text)
