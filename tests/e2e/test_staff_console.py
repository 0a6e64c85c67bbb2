"""The staff console in a real Chromium: a clerk finds out why a customer is locked, lifts it, the customer goes on.

The demo data comes from the real `renkei seed-demo`; the lock comes from the
customer's own three wrong birth dates on the real screens. Screenshots of each
console screen (staff-*.png) go where tests/e2e/conftest.py says: docs/screens/ via
scripts/screenshots, the run's temporary folder otherwise.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from ivr.simulate import simulate_call
from tests.cli.conftest import cheap_config, renkei  # noqa: F401  (the real `renkei` command)
from tests.e2e.conftest import screenshot
from tests.flow.walk import authorize_params

pytestmark = pytest.mark.browser

TARO = {"key": "001-1-1234567", "birth_date": "1980-04-01", "phone": "+819012345678", "pin": "1234"}
DESK = {"width": 1280, "height": 900}
TABLET = {"width": 768, "height": 1024}


@pytest.fixture
async def demo(server, renkei):  # type: ignore[no-untyped-def]
    """The running server with the demo data of contract §9, loaded by `renkei seed-demo`."""
    result = renkei("seed-demo")
    assert result.returncode == 0, result.stderr
    return server


async def new_page(browser: Browser, viewport: dict[str, int] = DESK) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=viewport, locale="ja-JP")
    return context, await context.new_page()


async def shot(page: Page, name: str) -> None:
    await screenshot(page, f"staff-{name}")


async def customer_enters_account(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/authorize?{urlencode(authorize_params(client_id='demo-sandbox'))}")
    branch, kind, number = TARO["key"].split("-")
    await page.fill("#branch_code", branch)
    await page.check(f"input[name=account_type][value='{kind}']")
    await page.fill("#account_number", number)
    await page.click("form[action='/flow/account'] button[type=submit]")
    await expect(page.locator("#birth_date")).to_be_visible()


async def customer_enters_birth_date(page: Page, birth_date: str) -> str | None:
    await page.fill("#birth_date", birth_date)
    await page.fill("#name_kana", "ヤマダ タロウ")
    await page.fill("#email", "taro@example.jp")
    await page.click("form[action='/flow/customer'] button[type=submit]")
    await page.wait_for_load_state()
    return await page.locator("[data-reason-code]").first.get_attribute("data-reason-code") \
        if await page.locator("[data-reason-code]").count() else None


async def clerk_signs_in(page: Page, base_url: str, staff_id: str) -> None:
    await page.goto(f"{base_url}/staff/login")
    await page.fill("#staff_id", staff_id)
    await page.fill("#password", "demo-password")
    await page.click("form[action='/staff/login'] button[type=submit]")
    await expect(page.locator("h1")).to_have_text("お客様の口座を検索")


async def test_a_clerk_sees_why_taro_is_locked_lifts_it_and_taro_links_his_app(browser, demo):
    customer_context, customer = await new_page(browser, {"width": 390, "height": 844})
    await customer_enters_account(customer, demo.url)
    reasons = [await customer_enters_birth_date(customer, "1980-04-02") for _ in range(2)]
    reasons.append(await customer_enters_birth_date(customer, "1980-04-03"))
    assert reasons == ["B82", "B82", "B83"]

    clerk_context, clerk = await new_page(browser)
    await clerk.goto(f"{demo.url}/staff/login")
    await shot(clerk, "login")
    await clerk_signs_in(clerk, demo.url, "branch001")
    await shot(clerk, "search")
    await clerk.fill("#account_number", "1234567")
    await clerk.click("form[action='/staff/accounts'] button[type=submit]")
    await expect(clerk).to_have_url(f"{demo.url}/staff/accounts/{TARO['key']}")
    identity = clerk.locator("[data-lock-kind=identity]")
    await expect(identity).to_have_attribute("data-locked", "true")
    await expect(identity).to_contain_text("ロック中")
    await expect(identity).to_contain_text("3 / 3 回")
    await expect(identity).to_contain_text("2026-11-25 00:00")
    await expect(clerk.locator("tr[data-reason-code=B83]").first).to_contain_text("本人認証エラーが規定回数に達し")
    await expect(clerk.locator("tr[data-reason-code=B82]").first).to_contain_text("生年月日の誤り")
    await shot(clerk, "account-locked")

    await identity.locator("textarea").fill("お客様から営業店へ電話あり。本人確認済み。")
    await identity.locator("button[type=submit]").click()
    await expect(clerk.locator("[data-confirm=unlock]")).to_contain_text("お客様から営業店へ電話あり。本人確認済み。")
    await shot(clerk, "unlock-confirm")
    await clerk.locator("[data-confirm=unlock] button[type=submit]").click()
    await expect(clerk.locator("[role=status]")).to_contain_text("本人認証ロックを解除しました")
    await expect(clerk.locator("[data-lock-kind=identity]")).to_have_attribute("data-locked", "false")
    await expect(clerk.locator("tr[data-event='staff:lock:clear']")).to_contain_text("本人確認済み")
    await shot(clerk, "account-unlocked")

    await customer_enters_account(customer, demo.url)
    assert await customer_enters_birth_date(customer, TARO["birth_date"]) is None
    await expect(customer).to_have_url(f"{demo.url}/flow/phone")
    await customer.click("form[action='/flow/phone'] button[type=submit]")
    auth_number = await customer.locator("[data-auth-number]").get_attribute("data-auth-number")
    settings = demo.runtime.settings
    await simulate_call(settings.public_url, settings.ivr.twilio_auth_token, TARO["phone"], auth_number)
    await expect(customer).to_have_url(f"{demo.url}/flow/pin", timeout=10_000)  # moves by itself on the call
    await customer.fill("#pin", TARO["pin"])
    await customer.click("form[action='/flow/pin'] button[type=submit]")
    await expect(customer).to_have_url(f"{demo.url}/flow/consent")
    await expect(customer.locator("body")).to_contain_text("テスト家計簿アプリ")
    await customer_context.close()
    await clerk_context.close()


async def test_head_office_screens_read_well_on_a_desk_and_on_a_tablet(browser, demo):
    context, page = await new_page(browser)
    await clerk_signs_in(page, demo.url, "hq-admin")
    await page.goto(f"{demo.url}/staff/maintenance")
    await page.fill("#starts_at", "2026-11-28T22:00")
    await page.fill("#ends_at", "2026-11-29T02:00")
    await page.fill("#reason", "勘定系システム更改に伴う臨時停止")
    await page.click("form[action='/staff/maintenance'] button[type=submit]")
    await expect(page.locator("[role=status]")).to_contain_text("メンテナンス時間を追加しました")
    await expect(page.locator("tr[data-added-by-staff=true]")).to_contain_text("2026-11-28 22:00")
    await expect(page.locator("[data-every-day]")).to_contain_text("毎日 00:00〜00:01")
    await expect(page.locator("tbody").last).to_contain_text("毎月第1・第3月曜日 02:00〜06:00")
    await shot(page, "maintenance")
    await page.goto(f"{demo.url}/staff/members")
    await expect(page.locator("tr[data-member=branch001]")).to_contain_text("001")
    await shot(page, "members")
    await page.goto(f"{demo.url}/staff/accounts/011-1-1111111")
    await expect(page.locator("[data-account-status=moved]")).to_contain_text("022-1-2222222")
    await shot(page, "account-moved")
    await context.close()

    customer_context, customer = await new_page(browser, {"width": 390, "height": 844})
    await customer_enters_account(customer, demo.url)
    for _ in range(3):
        await customer_enters_birth_date(customer, "1999-09-09")
    await customer_context.close()
    tablet_context, tablet = await new_page(browser, TABLET)
    await clerk_signs_in(tablet, demo.url, "branch001")
    await tablet.goto(f"{demo.url}/staff/accounts/{TARO['key']}")
    await expect(tablet.locator("[data-lock-kind=identity]")).to_have_attribute("data-locked", "true")
    width = await tablet.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], "the account screen must not scroll sideways on a tablet"
    await shot(tablet, "account-tablet")
    await tablet.goto(f"{demo.url}/staff/accounts/{TARO['key']}?lang=en")
    await expect(tablet.locator("h1")).to_contain_text("Customer account")
    await shot(tablet, "account-en")
    await tablet_context.close()
