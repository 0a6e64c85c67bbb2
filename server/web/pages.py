"""Pages that stand alone: a reason code (S01, S02, S03, B83...) or a plain notice."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

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
    BAD_AUTHORIZATION = (N_("The app's request could not be accepted"), N_("The app sent a request that this service cannot accept. Please contact the app's provider."))

    @property
    def title(self) -> str:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


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
    return render(
        settings_of(request), "reason.html", lang=lang, status=status or reason.status,
        headers=headers, reason=reason.value, **context,
    )


def notice_page(request: Request, notice: Notice, *, status: int, lang: str | None = None, detail: str | None = None) -> HTMLResponse:
    lang = lang or request_lang(request)
    _ = gettext_for(lang)
    return render(
        settings_of(request), "notice.html", lang=lang, status=status,
        title=_(notice.title), message=_(notice.message), detail=detail,
    )
