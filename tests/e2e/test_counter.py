"""The counter in a real Chromium: a clerk finds a customer by kana or phone within their branch, sees the
branch's locks, asks to lift one; a supervisor approves (役席承認) and the history shows all three steps.

Every new screen passes axe-core's WCAG 2.1 A and AA rules. Screenshots: docs/screens/staff-*.png.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.conftest import build_test_settings
from tests.e2e.test_staff_console import (  # noqa: F401  (fixtures)
    TARO, cheap_config, clerk_signs_in, customer_enters_account, customer_enters_birth_date, demo, new_page,
    renkei, shot,
)

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def settings(database_url):  # type: ignore[no-untyped-def]
    """The demo bank with 役席承認 on: every lift waits for a supervisor."""
    plain = build_test_settings(database_url)
    return replace(plain, staff=replace(plain.staff, unlock_approval=True))


async def no_wcag_violations(page: Page) -> None:
    results = await Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


async def search(page: Page, field: str, typed: str) -> None:
    await page.fill(f"#{field}", typed)
    await page.click(f"form[data-search={field}] button[type=submit]")
    await page.wait_for_load_state()


async def found_accounts(page: Page) -> list[str]:
    return await page.locator("tr[data-account]").evaluate_all("rows => rows.map(r => r.dataset.account)")


async def test_kana_and_phone_search_stay_within_the_clerks_branch(browser, demo):
    context, clerk = await new_page(browser)
    await clerk_signs_in(clerk, demo.url, "branch001")
    await search(clerk, "kana", "ﾔﾏﾀﾞ ﾀﾛｳ")
    assert await found_accounts(clerk) == [TARO["key"]]
    await expect(clerk.locator(f"tr[data-account='{TARO['key']}']")).to_contain_text("普通")
    await no_wcag_violations(clerk)
    await search(clerk, "kana", "すずき")
    assert await found_accounts(clerk) == ["001-4-7654321"]
    await expect(clerk.locator("tr[data-account='001-4-7654321']")).to_contain_text("貯蓄")
    await shot(clerk, "search-kana")
    await search(clerk, "kana", "タナカ")  # 011 and 022: other branches
    assert await found_accounts(clerk) == []
    await search(clerk, "phone", "09055556666")
    assert await found_accounts(clerk) == []
    await search(clerk, "phone", "+819012345678")
    assert await found_accounts(clerk) == [TARO["key"]]
    await search(clerk, "kana", "山田")
    await expect(clerk.locator("#kana")).to_have_attribute("aria-invalid", "true")
    await no_wcag_violations(clerk)
    await context.close()

    context, head_office = await new_page(browser)
    await clerk_signs_in(head_office, demo.url, "hq-admin")
    await search(head_office, "kana", "ﾀﾅｶ ﾐｷ")
    assert await found_accounts(head_office) == ["011-1-1111111", "022-1-2222222"]
    await search(head_office, "phone", "090-5555-6666")
    assert await found_accounts(head_office) == ["011-1-1111111", "022-1-2222222"]
    await context.close()


async def write_and_send(section, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type the reason (or note) into the card's form and send it: the confirmation page comes next."""
    await section.locator("textarea").fill(text)
    await section.locator("button[type=submit]").click()


async def lock_taro(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context, customer = await new_page(browser, {"width": 390, "height": 844})
    await customer_enters_account(customer, base_url)
    assert [await customer_enters_birth_date(customer, "1999-09-09") for _ in range(3)][-1] == "B83"
    await context.close()


async def test_a_clerks_unlock_waits_for_a_supervisor_who_approves_it_and_the_history_shows_each_step(browser, demo):
    await lock_taro(browser, demo.url)
    context, clerk = await new_page(browser)
    await clerk_signs_in(clerk, demo.url, "branch001")
    await clerk.click("nav >> text=ロック中の口座")
    await expect(clerk.locator(f"tr[data-account='{TARO['key']}'][data-lock-kind=identity]")).to_contain_text("2026-11-25 00:00")
    await no_wcag_violations(clerk)
    await shot(clerk, "locks")
    await clerk.click(f"tr[data-account='{TARO['key']}'] a")
    identity = clerk.locator("[data-lock-kind=identity]")
    await write_and_send(identity, "お客様から電話あり。本人確認済み。")
    await expect(clerk.locator("[data-confirm=unlock]")).to_contain_text("役席の承認後")
    await no_wcag_violations(clerk)
    await clerk.click("[data-confirm=unlock] button[type=submit]")
    await expect(clerk.locator("[role=status]")).to_contain_text("役席の承認後にロックが解除されます")
    await expect(identity).to_have_attribute("data-locked", "true")
    await expect(identity.locator("[data-pending-request]")).to_contain_text("branch001")
    await context.close()

    context, supervisor = await new_page(browser)
    await clerk_signs_in(supervisor, demo.url, "branch001-sv")
    await supervisor.click("nav >> text=承認待ち")
    waiting = supervisor.locator(f"section[data-account='{TARO['key']}']")
    await expect(waiting).to_contain_text("お客様から電話あり。本人確認済み。")
    await no_wcag_violations(supervisor)
    await shot(supervisor, "approvals")
    await write_and_send(waiting, "依頼内容と本人確認の記録を確認")
    await expect(supervisor.locator("[data-confirm=approve]")).to_contain_text("branch001")
    await no_wcag_violations(supervisor)
    await supervisor.click("[data-confirm=approve] button[type=submit]")
    await expect(supervisor.locator("[role=status]")).to_contain_text("承認しました")
    await expect(supervisor.locator("[data-lock-kind=identity]")).to_have_attribute("data-locked", "false")
    for event, who in (("staff:lock:request", "branch001"), ("staff:lock:approve", "branch001-sv"), ("staff:lock:clear", "branch001-sv")):
        await expect(supervisor.locator(f"tr[data-event='{event}']").first).to_contain_text(who)
    await no_wcag_violations(supervisor)
    await shot(supervisor, "account-approved")
    await context.close()


async def test_a_supervisor_cannot_approve_their_own_request(browser, demo):
    await lock_taro(browser, demo.url)
    context, supervisor = await new_page(browser)
    await clerk_signs_in(supervisor, demo.url, "branch001-sv")
    await supervisor.goto(f"{demo.url}/staff/accounts/{TARO['key']}")
    identity = supervisor.locator("[data-lock-kind=identity]")
    await write_and_send(identity, "本人確認済み")
    await supervisor.click("[data-confirm=unlock] button[type=submit]")
    await supervisor.goto(f"{demo.url}/staff/approvals")
    waiting = supervisor.locator(f"section[data-account='{TARO['key']}']")
    await expect(waiting).to_contain_text("ご自身の依頼です")
    assert await waiting.locator("form").count() == 0
    await context.close()
