"""Japanese by default, English on request; every customer-screen message has its Japanese text."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir

from server.settings import PROJECT_ROOT
from server.web.i18n import chosen_language, preferred_language, translations
from tests.flow.walk import Customer


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "ja"),
        ("", "ja"),
        ("ja", "ja"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("en;q=0.5, ja;q=0.9", "ja"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "en"),
        ("fr-FR,de", "ja"),
        ("en;q=0", "ja"),
        ("en;q=banana", "ja"),
        ("*", "ja"),
    ],
)
def test_the_browsers_preference_picks_the_language_and_japanese_is_the_default(accept_language, expected):
    assert preferred_language(accept_language) == expected


@pytest.mark.parametrize(("query", "expected"), [("en", "en"), ("EN", "en"), ("ja", "ja"), ("fr", None), ("", None), (None, None)])
def test_only_ja_and_en_count_as_a_language_choice_in_the_query(query, expected):
    assert chosen_language(query) == expected


CUSTOMER_SOURCES = ("server/templates/base.html", "server/templates/reason.html", "server/templates/notice.html",
                    "server/templates/flow/", "server/flow/", "server/web/", "server/oauth/scopes.py")


def _customer_screen_msgids() -> set[str]:
    method_map = [("server/**.py", "python"), ("server/templates/**.html", "jinja2")]
    options = {"server/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for filename, _, message, _, _ in extract_from_dir(str(PROJECT_ROOT), method_map, options_map=options):
        if filename.startswith(CUSTOMER_SOURCES):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_on_the_customer_screens_has_a_japanese_translation():
    msgids = _customer_screen_msgids()
    assert len(msgids) > 50
    japanese = translations("ja")
    untranslated = sorted(m for m in msgids if japanese.gettext(m) == m)
    assert untranslated == []


async def test_the_screens_are_in_japanese_unless_the_browser_prefers_english(customer: Customer, taro):
    await customer.start()
    assert '<html lang="ja">' in customer.page and "ご利用口座情報入力" in customer.page
    customer.http.headers["Accept-Language"] = "en-GB,en;q=0.9"
    await customer.start()
    assert '<html lang="en">' in customer.page and "Account details" in customer.page


async def test_lang_en_in_the_query_is_remembered_for_the_rest_of_the_flow(customer: Customer, taro):
    await customer.start()
    await customer.open("/flow/account?lang=en")
    assert "Account details" in customer.page
    await customer.enter_account(taro)
    assert '<html lang="en">' in customer.page and "Date of birth" in customer.page
    await customer.enter_details("1999-01-01")
    assert "The identity details you entered are incorrect." in customer.page


async def test_the_app_can_ask_for_english_with_ui_locales(customer: Customer, taro):
    await customer.start(ui_locales="en-US ja")
    assert '<html lang="en">' in customer.page
