"""Which language a page is in, and the gettext catalogs behind the templates.

Japanese by default; English when ``?lang=en`` asks for it or the browser's
Accept-Language prefers English. The catalogs are the ``.po`` files under
``server/locales`` (``messages.pot`` is extracted with ``pybabel extract -F
babel.cfg``); they are compiled in memory when the process starts, so there is
no build step and no ``.mo`` file to forget.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from server.reasons import LANGUAGES

DEFAULT_LANGUAGE = "ja"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def chosen_language(query_lang: str | None) -> str | None:
    """``ja`` or ``en`` when the query names one of them; anything else counts as not asked."""
    value = (query_lang or "").strip().lower()
    return value if value in LANGUAGES else None


def preferred_language(accept_language: str | None) -> str:
    """The supported language the browser ranks highest (RFC 9110 §12.5.4); earlier wins a tie."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "")[:512].split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = _quality(params)
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English msgids need no catalog to read well)."""
    po_file = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def N_(msgid: str) -> str:
    """Marks text made in Python for extraction; translated when a page is rendered."""
    return msgid
