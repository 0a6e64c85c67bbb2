"""Head office's dashboard and the operation log in a real Chromium, after the scripted morning:
a head-office clerk and a branch clerk see different scopes, and axe-core finds no WCAG 2.1 AA violation.

Screenshots (a tablet held upright) go to the folder tests/e2e/conftest.py names: docs/screens/ via scripts/screenshots.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from tests.headoffice.conftest import MORNING, Morning, browsers, morning  # noqa: F401
from tests.staff.conftest import PASSWORD, add_staff  # noqa: F401
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

DAY = MORNING.isoformat()
TABLET = {"width": 768, "height": 1024}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def signed_in(browser: Browser, base_url: str, staff_id: str) -> Page:
    context = await browser.new_context(viewport=TABLET, locale="ja-JP")
    page = await context.new_page()
    await page.goto(f"{base_url}/staff/login")
    await page.fill("#staff_id", staff_id)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/staff/login'] button[type=submit]")
    await expect(page).not_to_have_url(f"{base_url}/staff/login")
    return page


async def no_violations(page: Page) -> None:
    results = await Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


async def test_head_office_sees_every_branch_and_a_branch_clerk_their_own(
    browser: Browser, server, morning: Morning, add_staff  # type: ignore[no-untyped-def]
) -> None:
    await add_staff("hq-clerk", "000", "hq")
    await add_staff("branch001", "001", "branch")
    head_office = await signed_in(browser, server.url, "hq-clerk")
    await head_office.goto(f"{server.url}/staff/dashboard?from={DAY}&to={DAY}")
    for chart in ("funnel", "reasons", "locks", "calls", "apps"):
        await expect(head_office.locator(f"svg#chart-{chart}")).to_be_visible()
    await expect(head_office.locator("[data-figure=approved]")).to_have_text("2")
    await expect(head_office.locator("[data-reason=B87]")).to_have_text("2")
    await expect(head_office.locator("[data-call=late]")).to_have_text("1")
    await expect(head_office.locator("svg#chart-funnel rect")).to_have_count(7)
    await no_violations(head_office)
    await screenshot(head_office, "staff-dashboard")

    branch = await signed_in(browser, server.url, "branch001")
    await branch.goto(f"{server.url}/staff/dashboard?from={DAY}&to={DAY}")
    await expect(branch.locator("[data-figure=approved]")).to_have_text("1")
    await expect(branch.locator("[data-reason=B87]")).to_have_text("0")
    await expect(branch.locator("#table-apps tbody tr")).to_have_count(1)
    await expect(branch.locator("#table-apps tbody tr td").nth(1)).to_have_text("2")  # started: Taro's and Hanako's flows
    await no_violations(branch)


async def test_the_log_search_finds_the_wrong_pins_and_offers_the_export(
    browser: Browser, server, morning: Morning, add_staff  # type: ignore[no-untyped-def]
) -> None:
    await add_staff("hq-clerk", "000", "hq")
    page = await signed_in(browser, server.url, "hq-clerk")
    await page.goto(f"{server.url}/staff/log?from={DAY}&to={DAY}")
    await page.select_option("#reason", "B87")
    await page.click("form[action='/staff/log'] button[type=submit]")
    await expect(page.locator("#table-log tbody tr")).to_have_count(2)
    await expect(page.locator("#table-log tbody")).to_contain_text("ヤマダ タロウ")
    link = page.locator("a[download]")
    assert "reason=B87" in (await link.get_attribute("href") or "")
    await no_violations(page)
    await screenshot(page, "staff-log")
