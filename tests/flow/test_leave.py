"""The lock and limit pages: when the lock lifts, the help desk now, and アプリに戻る that tells the app."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from server.clock import TOKYO
from tests.flow.walk import REDIRECT_URI, Customer, reason_of, redirect_query

WRONG = "1999-09-09"
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0, tzinfo=TOKYO)
DAILY_WINDOW = datetime(2026, 11, 24, 4, 2, tzinfo=TOKYO)  # every day 04:00–04:05 is closed


async def _locked_by_birth_dates(customer: Customer, taro) -> None:  # type: ignore[no-untyped-def]
    await customer.start()
    await customer.enter_account(taro)
    for _ in range(3):
        await customer.enter_details(WRONG)
    assert reason_of(customer.page) == "B83"


async def test_the_identity_lock_page_says_when_it_lifts_and_that_the_cash_card_still_works(customer: Customer, taro):
    await _locked_by_birth_dates(customer, taro)
    page = customer.page
    assert "2026年11月25日 00:00に自動で解除されます。" in page
    assert 'data-lifts-at="2026-11-25T00:00:00+09:00"' in page
    assert "キャッシュカードは、これまでどおりATMや窓口でご利用いただけます。" in page
    assert 'data-desk-open="yes"' in page and "ただ今受付中です（本日17:00まで）。" in page
    assert "アプリに戻る" in page


async def test_back_to_the_app_ends_the_authorization_with_access_denied_state_and_iss(customer: Customer, taro, db):
    await _locked_by_birth_dates(customer, taro)
    back = await customer.post("/flow/leave", {"then": "redirect"})
    assert back.status_code == 303 and back.headers["location"].startswith(REDIRECT_URI + "?")
    answer = redirect_query(back)
    assert answer["error"] == "access_denied" and answer["state"] == customer.params["state"]
    assert answer["iss"] == customer.settings.issuer
    again = await customer.http.post("/flow/leave", data={"then": "redirect"}, headers={"Origin": customer.settings.public_url})
    assert again.status_code == 400  # the cookie is gone: nothing to resume or to tell twice
    assert await db.fetchval("SELECT count(*) FROM operation_log WHERE event = 'flow:leave'") == 1


async def test_the_lock_page_allows_the_apps_origin_for_its_form_and_nothing_else(customer: Customer, taro):
    await customer.start()
    await customer.enter_account(taro)
    for _ in range(2):
        await customer.enter_details(WRONG)
    third = await customer.post("/flow/customer", {"birth_date": WRONG, "name_kana": "ヤマダ タロウ", "email": "t@example.jp"})
    assert "form-action 'self' http://127.0.0.1:8080;" in third.headers["content-security-policy"]


async def test_the_lock_page_in_the_other_language_keeps_its_way_back(customer: Customer, taro):
    await _locked_by_birth_dates(customer, taro)
    switch = re.search(r'class="lang-switch" href="([^"]+)"', customer.page)
    assert switch
    english = await customer.open(switch[1].replace("&amp;", "&"))
    assert english.status_code == 403 and reason_of(customer.page) == "B84"
    assert "The lock lifts by itself at 2026-11-25 00:00 (Japan time)." in customer.page
    assert "Back to the app" in customer.page


async def test_on_a_sunday_the_desk_is_closed_and_says_when_it_opens(customer: Customer, taro, clock):
    clock.set(SUNDAY_NOON)
    await _locked_by_birth_dates(customer, taro)
    assert 'data-desk-open="no"' in customer.page
    assert "ただ今は受付時間外です。次の受付開始は2026年11月30日 09:00です。" in customer.page


async def test_back_to_the_app_during_maintenance_ends_the_flow_with_temporarily_unavailable(customer: Customer, taro, db, clock):
    await customer.start()
    await customer.enter_account(taro)
    clock.set(DAILY_WINDOW)
    await customer.open("/flow/customer")
    assert reason_of(customer.page) == "S01" and 'name="then" value="page"' in customer.page
    left = await customer.http.post("/flow/leave", data={"then": "page"}, headers={"Origin": customer.settings.public_url})
    assert left.status_code == 200
    link = re.search(r'id="back-to-app" href="([^"]+)"', left.text)
    assert link and link[1].startswith(REDIRECT_URI)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(link[1].replace("&amp;", "&")).query).items()}
    assert answer["error"] == "temporarily_unavailable" and answer["state"] == customer.params["state"]
    assert await db.fetchval("SELECT outcome FROM flow") == "left"


async def test_another_sites_form_cannot_end_a_flow(customer: Customer, taro, db):
    await customer.start()
    await customer.enter_account(taro)
    refused = await customer.http.post("/flow/leave", data={"then": "redirect"}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert await db.fetchval("SELECT finished_at FROM flow") is None


async def test_a_bad_request_uri_is_a_notice_in_the_customers_words_with_a_language_switch(customer: Customer, app_client):
    response = await customer.http.get("/authorize", params={"client_id": app_client, "request_uri": "urn:ietf:params:oauth:request_uri:nope"})
    assert response.status_code == 400
    assert "アプリに戻って、最初から操作してください。" in response.text and "is unknown" not in response.text
    switch = re.search(r'class="lang-switch" href="([^"]+)"', response.text)
    assert switch and "lang=en" in switch[1]
    english = await customer.http.get(switch[1].replace("&amp;", "&"))
    assert "Please go back to the app and start again." in english.text and 'lang="en"' in english.text
