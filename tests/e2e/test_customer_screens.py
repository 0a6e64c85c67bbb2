"""The moments that matter on a phone 320 and 390 px wide, in Japanese and English (issue 15).

Tries left after each wrong answer, the lock pages and their アプリに戻る, every
way of writing a birth date, a short account number, the call screen's feedback
and its new number. Each page passes axe-core's WCAG 2.1 A and AA rules and fits
the screen without sideways scrolling. Screenshots: docs/screens/.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from ivr.simulate import simulate_call
from tests.e2e.conftest import screenshot
from tests.e2e.test_customer_flow import EN, JA, _details
from tests.flow.walk import REDIRECT_URI, authorize_params, create_account

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONES = [pytest.param(320, "ja", id="320px-ja"), pytest.param(320, "en", id="320px-en"),
          pytest.param(390, "ja", id="390px-ja"), pytest.param(390, "en", id="390px-en")]
WRONG_DATE = "1999/9/9"
STRANGER = "+817033334444"
WORDS = {
    "ja": {**JA, "left2": "あと2回誤ると、本日中はご利用いただけなくなります。",
           "left1": "あと1回誤ると、本日中はご利用いただけなくなります。",
           "lifts": "に自動で解除されます。", "atm": "キャッシュカードは、これまでどおりATMや窓口でご利用いただけます。",
           "back": "アプリに戻る", "simulate": "電話をかけたことにする（模擬着信）", "tap": "タップして発信",
           "unregistered": "ご登録の電話番号以外からのお電話でした。", "withheld": "番号の前に186をつけると",
           "new": "新しい番号を表示する"},
    "en": {**EN, "left2": "If it is wrong 2 more times, you will not be able to use this service for the rest of today.",
           "left1": "If it is wrong once more, you will not be able to use this service for the rest of today.",
           "lifts": "The lock lifts by itself at", "atm": "your cash card keeps working at ATMs and at our counters",
           "back": "Back to the app", "simulate": "Simulate the call", "tap": "Tap to call",
           "unregistered": "That call came from a number that is not registered for this account",
           "withheld": "with 186 in front of the number", "new": "Show a new number"},
}


@pytest.fixture
async def phone(browser: Browser, server):  # type: ignore[no-untyped-def]  # closed before the server stops
    """A phone ``width`` px wide whose browser prefers ``lang``; closed after the test (an open
    event stream would keep the server from stopping)."""
    opened = []

    async def new(width: int, lang: str) -> Page:
        context = await browser.new_context(viewport={"width": width, "height": 740}, device_scale_factor=2,
                                            locale="ja-JP" if lang == "ja" else "en-US", is_mobile=True, has_touch=True)
        opened.append(context)
        # The app's redirect URI: nothing listens there in tests, so answer for it.
        await context.route("http://127.0.0.1:8080/**", lambda route: route.fulfill(body="the app", content_type="text/plain"))
        return await context.new_page()

    yield new
    for context in opened:
        await context.close()


async def fits_and_passes_axe(page: Page, width: int) -> None:
    """No WCAG 2.1 AA violation, and nothing wider than the phone."""
    results = await Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def begin(page: Page, server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    query = authorize_params()
    await page.goto(f"{server.url}/authorize?{urlencode(query)}")
    await expect(page).to_have_url(f"{server.url}/flow/account")
    return query


async def enter_account(page: Page, words: dict[str, str], branch: str, number: str) -> None:
    await page.get_by_label(words["branch"]).fill(branch)
    await page.get_by_label(words["number"]).fill(number)
    await page.get_by_role("button", name=words["next"]).click()


async def back_to_the_app(page: Page, words: dict[str, str], query: dict[str, str], server) -> None:  # type: ignore[no-untyped-def]
    await page.get_by_role("button", name=words["back"]).click()
    await page.wait_for_url(f"{REDIRECT_URI}?**")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert answer["error"] == "access_denied" and answer["state"] == query["state"]
    assert answer["iss"] == server.runtime.settings.issuer


async def expect_tries_left(page: Page, words: dict[str, str], left: int) -> None:
    tries = page.locator("[data-attempts-left]")
    await expect(tries).to_have_attribute("data-attempts-left", str(left))
    await expect(tries).to_have_text(words[f"left{left}"])


@pytest.mark.parametrize(("width", "lang"), PHONES)
async def test_two_wrong_birth_dates_say_how_many_tries_remain_and_the_third_locks_with_a_way_back(
    phone, server, app_client, taro, width, lang,
):
    words, page = WORDS[lang], await phone(width, lang)
    query = await begin(page, server)
    await enter_account(page, words, taro.branch_code, taro.account_number)
    await fits_and_passes_axe(page, width)
    for left in (2, 1):
        await _details(page, WRONG_DATE, words)
        await expect_tries_left(page, words, left)
    await fits_and_passes_axe(page, width)
    await _details(page, WRONG_DATE, words)
    await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", "B83")
    await expect(page.locator("#lifts-at")).to_contain_text(words["lifts"])
    await expect(page.locator("#lifts-at")).to_have_attribute("data-lifts-at", "2026-11-25T00:00:00+09:00")
    await expect(page.locator("#desk-now")).to_be_visible()
    await fits_and_passes_axe(page, width)
    if width == 390:
        await screenshot(page, f"{'' if lang == 'ja' else 'en-'}b83-identity-lock")
    await back_to_the_app(page, words, query, server)


async def _at_the_call_screen(page: Page, server, account, words: dict[str, str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    query = await begin(page, server)
    await enter_account(page, words, account.branch_code, account.account_number)
    await _details(page, account.birth_date, words)
    await page.get_by_role("button", name=words["show"]).click()
    await expect(page).to_have_url(f"{server.url}/flow/phone/call")
    await expect(page.locator("#call-status")).not_to_be_empty()  # listening for the call
    return query


@pytest.mark.parametrize(("width", "lang"), PHONES)
async def test_two_wrong_pins_say_how_many_tries_remain_and_the_third_locks_saying_the_cash_card_still_works(
    phone, server, app_client, taro, width, lang,
):
    words, page = WORDS[lang], await phone(width, lang)
    query = await _at_the_call_screen(page, server, taro, words)
    await page.get_by_role("button", name=words["simulate"]).click()
    await expect(page).to_have_url(f"{server.url}/flow/pin", timeout=10_000)
    for left in (2, 1):
        await page.get_by_label(words["pin"]).fill("9999")
        await page.get_by_label(words["pin"]).press("Enter")
        await expect_tries_left(page, words, left)
    await fits_and_passes_axe(page, width)
    await page.get_by_label(words["pin"]).fill("9999")
    await page.get_by_label(words["pin"]).press("Enter")
    await expect(page.locator("[data-reason-code]")).to_have_attribute("data-reason-code", "B88")
    await expect(page.locator("#cash-card")).to_contain_text(words["atm"])
    await expect(page.locator("#lifts-at")).to_contain_text(words["lifts"])
    await fits_and_passes_axe(page, width)
    if width == 390 and lang == "ja":
        await screenshot(page, "b88-pin-lock")
    await back_to_the_app(page, words, query, server)


BIRTH_DATES = ["19800401", "1980/4/1", "1980-4-1", "１９８０／４／１", "S55.4.1", "昭和55年4月1日", "Ｓ５５．４．１"]


@pytest.mark.parametrize(("width", "lang"), [PHONES[0], PHONES[3]])
async def test_every_way_of_writing_the_birth_date_passes_screen_two(phone, server, app_client, taro, width, lang):
    words, page = WORDS[lang], await phone(width, lang)
    for written in BIRTH_DATES:
        await begin(page, server)
        await enter_account(page, words, taro.branch_code, taro.account_number)
        await _details(page, written, words)
        await expect(page).to_have_url(f"{server.url}/flow/phone")


@pytest.mark.parametrize(("width", "lang"), [PHONES[0], PHONES[3]])
async def test_a_short_account_number_passes_screen_one(phone, server, app_client, db, settings, width, lang):
    short = await create_account(db, settings, account_number="0012345", phones=("+819099998888",))
    words, page = WORDS[lang], await phone(width, lang)
    await begin(page, server)
    await enter_account(page, words, short.branch_code, "12345")
    await expect(page).to_have_url(f"{server.url}/flow/customer")


async def _call(server, from_: str, to: str) -> str:  # type: ignore[no-untyped-def]
    settings = server.runtime.settings
    answer = await simulate_call(settings.public_url, settings.ivr.twilio_auth_token, from_=from_, to=to)
    assert answer.status_code == 200
    return answer.text


@pytest.mark.parametrize(("width", "lang"), [PHONES[0], PHONES[3]])
async def test_an_unregistered_call_is_said_on_the_waiting_screen_at_once_and_rejected_unanswered(
    phone, server, app_client, taro, width, lang,
):
    words, page = WORDS[lang], await phone(width, lang)
    await _at_the_call_screen(page, server, taro, words)
    screen = page.locator("#call-screen")
    await expect(screen).to_have_attribute("data-call-status", "waiting")
    await expect(page.get_by_role("link", name=words["tap"])).to_have_attribute("href", "tel:" + await _auth_number(page))
    await fits_and_passes_axe(page, width)
    twiml = await _call(server, STRANGER, await _auth_number(page))
    assert '<Reject reason="rejected" />' in twiml and "<Say" not in twiml
    await expect(screen).to_have_attribute("data-call-status", "unregistered")  # no reload: the event stream said it
    await expect(page.locator("#call-unregistered")).to_contain_text(words["unregistered"])
    await fits_and_passes_axe(page, width)
    await screenshot(page, f"{'' if lang == 'ja' else 'en-'}4-call-unregistered")
    twiml = await _call(server, "Anonymous", await _auth_number(page))
    assert '<Reject reason="rejected" />' in twiml
    await expect(screen).to_have_attribute("data-call-status", "withheld")
    await expect(page.locator("#call-withheld")).to_contain_text(words["withheld"])
    await _call(server, taro.phones[0], await _auth_number(page))
    await expect(page).to_have_url(f"{server.url}/flow/pin", timeout=10_000)


async def _auth_number(page: Page) -> str:
    return await page.locator("[data-auth-number]").get_attribute("data-auth-number") or ""


@pytest.mark.parametrize(("width", "lang"), [PHONES[0], PHONES[3]])
async def test_an_expired_call_screen_draws_a_new_number_and_the_flow_completes(
    phone, server, app_client, taro, clock, width, lang,
):
    words, page = WORDS[lang], await phone(width, lang)
    query = await _at_the_call_screen(page, server, taro, words)
    clock.advance(seconds=121)
    screen = page.locator("#call-screen")
    await expect(screen).to_have_attribute("data-call-status", "expired", timeout=15_000)  # the stream re-reads every 10 s
    await fits_and_passes_axe(page, width)
    await screenshot(page, f"{'' if lang == 'ja' else 'en-'}4-call-expired")
    await page.get_by_role("button", name=words["new"]).click()
    await expect(screen).to_have_attribute("data-call-status", "waiting")
    await expect(page.locator("#countdown")).to_have_text("120")
    await _call(server, taro.phones[0], await _auth_number(page))
    await expect(page).to_have_url(f"{server.url}/flow/pin", timeout=10_000)
    await page.get_by_label(words["pin"]).fill(taro.pin)
    await page.get_by_label(words["pin"]).press("Enter")
    await page.get_by_role("button", name=words["allow"], exact=True).click()
    await page.wait_for_url(f"{REDIRECT_URI}?**")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert answer["code"] and answer["state"] == query["state"]


async def test_a_bad_request_at_authorize_is_a_notice_in_the_customers_words_with_a_language_switch(phone, server, app_client):
    page = await phone(320, "ja")
    await page.goto(f"{server.url}/authorize?client_id={app_client}&request_uri=urn:ietf:params:oauth:request_uri:gone")
    await expect(page.locator("main")).to_contain_text("アプリに戻って、最初から操作してください。")
    await expect(page.locator("main")).not_to_contain_text("request_uri")
    await fits_and_passes_axe(page, 320)
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("main")).to_contain_text("Please go back to the app and start again.")
