"""Pages that stand alone: a reason code (S01, S02, S03, B83...) or a plain notice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.policy.help_desk import desk_status
from server.policy.locks import lock_lifts_at
from server.reasons import Reason
from server.settings import Settings
from server.web.i18n import N_, chosen_language, preferred_language
from server.web.templates import gettext_for, render


def request_lang(request: Request) -> str:
    """The language of a page shown without a flow: ``?lang=``, else Accept-Language."""
    return chosen_language(request.query_params.get("lang")) or preferred_language(request.headers.get("accept-language"))


def settings_of(request: Request) -> Settings:
    return request.app.state.runtime.settings


class Notice(Enum):
    """Pages that are not a reason code of the contract: (title, message) msgids."""

    NO_FLOW = (N_("Please start from the app"), N_("This page can only be used during an authentication started from the app. Please start again from the app."))
    FLOW_EXPIRED = (N_("Your session has expired"), N_("Too much time has passed since your last step, so the authentication was cancelled. Please start again from the app."))
    FLOW_FINISHED = (N_("This authentication has ended"), N_("This authentication has already ended. Please go back to the app."))
    BAD_FORM = (N_("The request could not be processed"), N_("The page may have been open for too long or opened in another window. Please start again from the app."))
    NOT_FOUND = (N_("Page not found"), N_("The page you asked for does not exist."))
    BAD_AUTHORIZATION = (N_("The app's request could not be accepted"), N_("The app's request has expired or cannot be accepted. Please go back to the app and start again. If this happens again, please contact the app's provider."))

    @property
    def title(self) -> str:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


LOCKS = (Reason.B83, Reason.B84, Reason.B88)


def what_to_do(settings: Settings, reason: Reason, now: datetime) -> dict[str, Any]:
    """What a lock or limit page adds to the reason: when the lock lifts, and whether the help desk is open now."""
    return {"lifts_at": lock_lifts_at(now) if reason in LOCKS else None, "desk": desk_status(now, settings.help_desk.hours)}


def can_leave(request: Request) -> bool:
    """A flow may be behind this page (its cookie is sent to /flow/ paths only): offer アプリに戻る."""
    return request.url.path.startswith("/flow/") and "renkei_flow" in request.cookies


def reason_page(
    request: Request,
    reason: Reason,
    *,
    lang: str | None = None,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = lang or request_lang(request)
    context.setdefault("next_url", None)
    context.setdefault("reopens_at", None)
    context.setdefault("request_id", None)
    context.setdefault("leave", "page" if can_leave(request) else None)
    context.setdefault("switch_lang_url", switch_language_url(request, lang))
    settings = settings_of(request)
    return render(
        settings, "reason.html", lang=lang, status=status or reason.status, headers=headers, reason=reason.value,
        **what_to_do(settings, reason, request.app.state.runtime.clock.now()) | context,
    )


def switch_language_url(request: Request, lang: str) -> str:
    """This page in the other language: the same address with ``lang`` changed (a GET keeps its query)."""
    other = "en" if lang == "ja" else "ja"
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] if request.method == "GET" else []
    return f"{request.url.path}?{urlencode([*query, ('lang', other)])}"


def notice_page(request: Request, notice: Notice, *, status: int, lang: str | None = None) -> HTMLResponse:
    """A notice in the customer's words (what went wrong for a developer is logged, never shown)."""
    lang = lang or request_lang(request)
    _ = gettext_for(lang)
    return render(
        settings_of(request), "notice.html", lang=lang, status=status,
        title=_(notice.title), message=_(notice.message), switch_lang_url=switch_language_url(request, lang),
    )
