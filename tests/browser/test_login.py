"""Logging in to the dashboard in chromium with the link the bot sends for /web (issue 10 items 5
and 6), on the real process. Needs handlers/web/login.py (the /web command and /login)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page

from tests.browser.kit import follow, has_real_glyphs, layout_of, log_in
from tests.conftest import WORKER_G1
from tests.e2e.web import Site

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_staff_member_logs_in_with_the_link_from_the_bot_and_only_once(
    site: Site, page: Page, browser: Browser
) -> None:
    link = await log_in(page, site, WORKER_G1)

    assert link.startswith(f"{site.base}/login?t=")
    await page.locator(".bar .who").filter(has_text="李网格").wait_for()
    assert has_real_glyphs(await layout_of(page, ".bar nav a"))

    # The same link in another browser (forwarded, or read from a screen) opens nothing.
    other = await browser.new_context(locale="zh-CN")
    try:
        stranger = await other.new_page()
        await follow(stranger, link)
        await stranger.goto(f"{site.base}/")
        assert urlsplit(stranger.url).path == "/login"
        assert await stranger.locator(".bar .who").count() == 0
        await follow(stranger, f"{site.base}/login?t=forged-{link.rsplit('=', 1)[1][::-1]}")
        await stranger.goto(f"{site.base}/")
        assert urlsplit(stranger.url).path == "/login"
    finally:
        await other.close()
