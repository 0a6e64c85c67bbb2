"""The customer's six screens in Chromium: Japanese, English, without JavaScript, a lock, maintenance."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.async_api import Page, expect

from server.clock import TOKYO
from tests.e2e.conftest import run_renkei, screenshot
from tests.flow.walk import REDIRECT_URI, authorize_params

pytestmark = pytest.mark.browser


async def _begin(page: Page, server, **params: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    query = authorize_params(**params)
    await page.goto(f"{server.url}/authorize?{urlencode(query)}")
    await expect(page).to_have_url(f"{server.url}/flow/account")
    return query


async def _account(page: Page, account, labels: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    await page.get_by_label(labels["branch"]).fill(account.branch_code)
    await page.get_by_label(labels["number"]).fill(account.account_number)
    await page.get_by_label(labels["number"]).press("Enter")  # keyboard only


async def _details(page: Page, birth_date: str, labels: dict[str, str]) -> None:
    await page.get_by_label(labels["birth"]).fill(birth_date)
    await page.get_by_label(labels["kana"]).fill("ヤマダ タロウ")
    await page.get_by_label(labels["email"]).fill("taro@example.jp")
    await page.get_by_role("button", name=labels["next"]).click()


JA = {"branch": "店番号", "number": "口座番号", "birth": "生年月日", "kana": "お名前（カナ）", "email": "メールアドレス",
      "next": "次へ", "show": "認証先電話番号を表示する", "pin": "暗証番号", "allow": "許可する",
      "confirm": "確定する"}
EN = {"branch": "Branch number", "number": "Account number", "birth": "Date of birth", "kana": "Name (katakana)",
      "email": "E-mail address", "next": "Next", "show": "Show the number to call", "pin": "PIN",
      "allow": "Allow", "confirm": "Confirm"}


async def _walk_all_six(page: Page, server, account, labels: dict[str, str], prefix: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    query = await _begin(page, server)
    await screenshot(page, f"{prefix}1-account")
    await _account(page, account, labels)
    await expect(page).to_have_url(f"{server.url}/flow/customer")
    await screenshot(page, f"{prefix}2-customer")
    await _details(page, account.birth_date, labels)
    await expect(page).to_have_url(f"{server.url}/flow/phone")
    await screenshot(page, f"{prefix}3-phone")
    await page.get_by_role("button", name=labels["show"]).click()
    await expect(page).to_have_url(f"{server.url}/flow/phone/call")
    auth_number = await page.locator("[data-auth-number]").get_attribute("data-auth-number")
    await expect(page.locator("#call-status")).not_to_be_empty()  # listening for the call
    await screenshot(page, f"{prefix}4-call")
    await run_renkei("simulate-call", "--from", account.phones[0], "--to", auth_number,  # it reads the server's database
                     env={"RENKEI_PUBLIC_URL": server.url, "DATABASE_URL": server.runtime.settings.database.url})
    await expect(page).to_have_url(f"{server.url}/flow/pin", timeout=10_000)  # no click: the call moved it on
    await screenshot(page, f"{prefix}5-pin")
    await page.get_by_label(labels["pin"]).fill(account.pin)
    await page.get_by_label(labels["pin"]).press("Enter")
    await expect(page).to_have_url(f"{server.url}/flow/consent")
    await screenshot(page, f"{prefix}6-consent")
    await page.get_by_role("button", name=labels["allow"], exact=True).click()
    await page.wait_for_url(f"{REDIRECT_URI}?**")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert answer["state"] == query["state"] and answer["code"]
    assert answer["iss"] == server.runtime.settings.issuer
    return answer


async def test_a_customer_goes_through_all_six_screens_in_japanese(new_context, server, app_client, taro):
    page = await (await new_context()).new_page()
    await _walk_all_six(page, server, taro, JA, "")


async def test_a_customer_whose_phone_prefers_english_sees_english_screens(new_context, server, app_client, taro):
    page = await (await new_context(locale="en-US")).new_page()
    await _walk_all_six(page, server, taro, EN, "en-")


async def test_the_call_screen_works_without_javascript(new_context, server, app_client, taro):
    page = await (await new_context(javascript=False)).new_page()
    await _begin(page, server)
    await _account(page, taro, JA)
    await _details(page, taro.birth_date, JA)
    await page.get_by_role("button", name=JA["show"]).click()
    await page.get_by_role("button", name=JA["confirm"]).click()
    await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", "B86")
    await screenshot(page, "b86-waiting")
    await page.get_by_role("button", name="電話をかけたことにする（模擬着信）").click()
    await page.get_by_role("button", name=JA["confirm"]).click()
    await expect(page).to_have_url(f"{server.url}/flow/pin")


async def test_three_wrong_birth_dates_lock_the_account_until_midnight(new_context, server, app_client, taro):
    page = await (await new_context()).new_page()
    await _begin(page, server)
    await _account(page, taro, JA)
    for expected in ("B82", "B82", "B83"):
        await _details(page, "1999-09-09", JA)
        await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", expected)
        if expected == "B82":
            await screenshot(page, "b82-wrong-birth-date")
    await screenshot(page, "b83-identity-lock")
    await _begin(page, server)
    await _account(page, taro, JA)
    await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", "B84")
    await expect(page.get_by_text("ただ今お取扱いできません。")).to_be_visible()
    await screenshot(page, "b84-locked")


async def test_a_maintenance_window_shows_s01(new_context, server, app_client, clock):
    clock.set(datetime(2026, 12, 12, 23, 55, tzinfo=TOKYO))  # the eve of the 2nd Sunday, from 23:50
    page = await (await new_context()).new_page()
    await page.goto(f"{server.url}/authorize?{urlencode(authorize_params())}")
    await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", "S01")
    await expect(page.get_by_text("2026年12月13日 07:00")).to_be_visible()
    await screenshot(page, "s01-maintenance")
