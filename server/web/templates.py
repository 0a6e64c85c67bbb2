"""Server-rendered pages: one Jinja2 environment per language, gettext from server/locales."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from server.clock import TOKYO
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
    env.globals["tokyo_time"] = lambda moment: tokyo_time(moment, lang)
    return env


def tokyo_time(moment: datetime, lang: str) -> str:
    """A moment as a customer reads it, in Tokyo time: 2026年12月13日 07:00 / 2026-12-13 07:00."""
    local = moment.astimezone(TOKYO)
    if lang == "ja":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return local.strftime("%Y-%m-%d %H:%M")


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
