"""Chromium (Debian's, driven by Playwright) against a real server.

Screenshots go to the run's temporary folder (removed at its end), or to the folder RENKEI_SCREENSHOTS names:
``scripts/screenshots`` refreshes docs/screens/ that way, so an ordinary test run
leaves the work tree as it was.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from server.settings import PROJECT_ROOT
from tests.flow.conftest import app_client, taro  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}  # a common smartphone, in CSS pixels


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run scripts/install-browser")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def new_context(browser: Browser):  # type: ignore[no-untyped-def]
    """A fresh phone-sized browser profile; ``locale`` sets Accept-Language as a real phone would."""
    opened: list[BrowserContext] = []

    async def new(*, locale: str = "ja-JP", javascript: bool = True) -> BrowserContext:
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2, locale=locale,
                                            java_script_enabled=javascript, is_mobile=True, has_touch=True)
        # The app's redirect URI: nothing listens there in tests, so answer for it.
        await context.route("http://127.0.0.1:8080/**", lambda route: route.fulfill(body="the app", content_type="text/plain"))
        opened.append(context)
        return context

    yield new
    for context in opened:
        asyncio.get_event_loop().create_task(context.close())


async def run_renkei(*args: str, env: dict[str, str]) -> str:
    """The real `renkei` command in a subprocess, without blocking the server in this event loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, cwd=PROJECT_ROOT,
        env={**os.environ, "RENKEI_ENV": "development", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    # Asked at each shot, not at import: pytest imports this file before the run's own temporary
    # folder exists when it is named on the command line, and the shots would land in the system's.
    screens = Path(os.environ.get("RENKEI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "screens")
    screens.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(screens / f"{name}.png"), full_page=True)
