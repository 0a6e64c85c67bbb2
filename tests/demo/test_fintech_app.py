"""テスト家計簿アプリ in Chromium on a phone: 口座を連携する, the bank's six screens, back in the app with
the balance and 入出金明細; 更新 after the access token expired; 連携を解除する; declining at ⑥."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from demo.bank_api.ledger import seeded_account
from demo.fintech_app import fapi2_client
from tests.e2e.conftest import run_renkei, screenshot
from tests.e2e.test_customer_flow import JA, _account, _details
from tests.web.test_maintenance import INSIDE_DAILY_WINDOW

pytestmark = pytest.mark.browser


async def through_the_banks_screens(page: Page, world, decision: str) -> None:  # type: ignore[no-untyped-def]
    """From the demo app's start page to screen ⑥ and the customer's decision there."""
    renkei, taro = world.renkei.url, world.taro
    await page.goto(world.app.url + "/")
    await screenshot(page, "demo-app-start")
    await page.get_by_role("button", name="口座を連携する").click()
    await expect(page).to_have_url(f"{renkei}/flow/account")
    await _account(page, taro, JA)
    await expect(page).to_have_url(f"{renkei}/flow/customer")
    await _details(page, taro.birth_date, JA)
    await page.get_by_role("button", name=JA["show"]).click()
    auth_number = await page.locator("[data-auth-number]").get_attribute("data-auth-number")
    await run_renkei("simulate-call", "--from", taro.phones[0], "--to", auth_number,
                     env={"RENKEI_PUBLIC_URL": renkei, "DATABASE_URL": world.database_url})
    await expect(page).to_have_url(f"{renkei}/flow/pin", timeout=10_000)
    await page.get_by_label(JA["pin"]).fill(taro.pin)
    await page.get_by_label(JA["pin"]).press("Enter")
    await expect(page).to_have_url(f"{renkei}/flow/consent")
    await page.get_by_role("button", name=decision, exact=True).click()


async def test_a_customer_links_the_account_sees_balance_and_statement_then_unlinks(new_context, demo_world, clock):
    page = await (await new_context()).new_page()
    await through_the_banks_screens(page, demo_world, JA["allow"])

    await expect(page).to_have_url(demo_world.app.url + "/account")
    ledger = seeded_account("001-1-1234567", clock.now().date())
    await expect(page.locator("[data-balance]")).to_have_attribute("data-balance", str(ledger.balance))
    await expect(page.locator("[data-account]")).to_contain_text("001-****567")
    latest = ledger.transactions[-1]
    await expect(page.locator("[data-transaction]").first).to_contain_text(latest.description)
    await screenshot(page, "demo-app-account")
    assert "kakeibo_session" in {c["name"] for c in await page.context.cookies()}
    assert not any(c["value"] == session_tokens(demo_world).access_token for c in await page.context.cookies())

    first = session_tokens(demo_world)
    clock.advance(seconds=601)  # the access token (600 s) has expired: 更新 gets a new one with the refresh token
    await page.get_by_role("button", name="更新").click()
    await expect(page.locator("[data-balance]")).to_have_attribute("data-balance", str(ledger.balance))
    assert session_tokens(demo_world).access_token != first.access_token

    await page.get_by_role("button", name="連携を解除する").click()
    await expect(page.get_by_role("heading", name="連携を解除しました")).to_be_visible()
    with pytest.raises(fapi2_client.ServerSaid) as refused:  # the next refresh: the link is gone at the bank
        await fapi2_client.refresh(demo_world.demo_app.client, await demo_world.demo_app.server_metadata(), first)
    assert refused.value.error == "invalid_grant"


async def test_declining_at_the_consent_screen_shows_that_linking_was_cancelled(new_context, demo_world):
    page = await (await new_context()).new_page()
    await through_the_banks_screens(page, demo_world, "許可しない")
    await expect(page).to_have_url(re.compile(re.escape(demo_world.app.url + "/callback?") + ".*error=access_denied"))
    await expect(page.get_by_role("heading", name="連携がキャンセルされました")).to_be_visible()
    await expect(page.locator("[data-problem]")).to_have_attribute("data-problem", "access_denied")


async def test_a_flow_ended_by_a_lock_comes_back_to_the_app_explained_in_plain_japanese(new_context, demo_world):
    """B83 on the bank's screens, then アプリに戻る: the app says why and what to do, not 'cancelled'."""
    page = await (await new_context()).new_page()
    await page.goto(demo_world.app.url + "/")
    await page.get_by_role("button", name="口座を連携する").click()
    await _account(page, demo_world.taro, JA)
    for _ in range(3):
        await _details(page, "1999-09-09", JA)
    await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", "B83")
    await page.get_by_role("button", name="アプリに戻る").click()
    await expect(page.get_by_role("heading", name="本日はこの口座を連携できません")).to_be_visible()
    await expect(page.get_by_text("翌日以降にもう一度お試しいただくか")).to_be_visible()


async def test_linking_during_a_maintenance_window_says_the_service_is_closed_and_to_try_later(new_context, demo_world, clock):
    page = await (await new_context()).new_page()
    await page.goto(demo_world.app.url + "/")
    clock.set(INSIDE_DAILY_WINDOW)  # 04:02, the daily closure: /par answers temporarily_unavailable
    await page.get_by_role("button", name="口座を連携する").click()
    await expect(page.get_by_role("heading", name="ただ今、金融機関の連携サービスはお休みしています")).to_be_visible()
    await expect(page.locator("[data-problem]")).to_have_attribute("data-problem", "temporarily_unavailable")
    await expect(page.get_by_text("しばらく時間をおいてから")).to_be_visible()


async def test_a_callback_without_a_pending_link_or_with_a_foreign_issuer_is_not_accepted(new_context, demo_world):
    page = await (await new_context()).new_page()
    await page.goto(demo_world.app.url + "/callback?code=x&state=y&iss=" + demo_world.renkei.url)
    await expect(page.get_by_role("heading", name="連携の手続きの有効期限が切れました")).to_be_visible()


def session_tokens(world) -> fapi2_client.Tokens:  # type: ignore[no-untyped-def]
    linked = [s.tokens for s in world.demo_app.sessions.values() if s.tokens is not None]
    assert len(linked) == 1
    return linked[0]
