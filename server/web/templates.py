"""Server-rendered pages: one Jinja2 environment per language, gettext from server/locales."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from server.reasons import Reason
from server.settings import Settings
from server.web.i18n import translations
from server.web.security import screen_headers

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["reason_message"] = lambda reason: Reason(reason).message(lang)
    return env


def gettext_for(lang: str):  # type: ignore[no-untyped-def]
    """The ``_`` of ``lang``, for text made in Python (field errors, page titles)."""
    return translations(lang).gettext


def render(
    settings: Settings,
    template: str,
    *,
    lang: str,
    status: int = 200,
    form_action: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` in ``lang``, with the bank's details and the screen headers."""
    context.setdefault("reason", None)
    context.setdefault("switch_lang_url", None)
    html = environment(lang).get_template(template).render(lang=lang, bank=settings.bank, **context)
    all_headers = screen_headers(settings, form_action) | dict(headers or {})
    return HTMLResponse(html, status_code=status, headers=all_headers)
