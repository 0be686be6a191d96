"""Logging in to the dashboard in chromium with the link the bot sends for /web (issue 10 items 5
and 6), on the real process: the link works once and only for a while, and every way it can be
bad shows the clear 400 page; a forged session cookie opens nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, Page

from handlers.web.login import COOKIE
from tests.browser.conftest import profile
from tests.browser.kit import follow, has_real_glyphs, layout_of, log_in
from tests.conftest import COMMUNITY, WORKER_G1, WORKER_G2
from tests.e2e.web import Site, login_link

pytestmark = pytest.mark.asyncio(loop_scope="session")

USED = "这个登录链接已经使用过了。请在机器人中发送 /web 获取新的链接。"
EXPIRED = "这个登录链接已过期。请在机器人中发送 /web 获取新的链接。"
UNKNOWN = "这个登录链接无效。请在机器人中发送 /web 获取新的链接。"


def sessions(site: Site, user_id: int) -> int:
    count: int = site.griddesk.scalar(
        "SELECT COUNT(*) FROM web_sessions WHERE user_id = ?", (user_id,)
    )
    return count


async def refused(page: Page, link: str, text: str) -> None:
    """Opens LINK in PAGE and checks it answers the 400 page saying TEXT, with no way to log in
    from it and no session afterwards."""
    answer = await page.goto(link)
    assert answer is not None and answer.status == 400
    await page.get_by_text(text).wait_for()
    assert await page.get_by_role("button", name="登录").count() == 0
    assert [c for c in await page.context.cookies() if c["name"] == COOKIE] == []
    await page.goto(f"{page.url.split('/login')[0]}/")
    assert urlsplit(page.url).path == "/login"


async def test_a_staff_member_logs_in_with_the_link_from_the_bot_and_only_once(
    site: Site, page: Page, browser: Browser
) -> None:
    link = await login_link(site.fake, WORKER_G1)  # /web through the fake Bot API
    assert link.startswith(f"{site.base}/login?t=")
    await page.goto(link)
    assert sessions(site, WORKER_G1) == 0  # opening the link (a preview would) spends nothing
    await page.get_by_role("button", name="登录").click()

    await page.wait_for_url(f"{site.base}/")
    await page.locator(".bar .who").filter(has_text="李网格").wait_for()
    assert has_real_glyphs(await layout_of(page, ".bar nav a"))
    assert sessions(site, WORKER_G1) == 1

    # The same link in another browser (forwarded, or read from a screen) opens nothing, and
    # neither does one made up.
    async with profile(browser) as other:
        stranger = await other.new_page()
        await refused(stranger, link, USED)
        token = parse_qs(urlsplit(link).query)["t"][0]
        await refused(stranger, f"{site.base}/login?t={token[::-1]}", UNKNOWN)
        await follow(stranger, f"{site.base}/login?t={token[::-1]}")
        assert urlsplit(stranger.url).path == "/login"
    assert sessions(site, WORKER_G1) == 1


async def test_a_link_opened_after_its_minutes_shows_that_it_expired(
    site: Site, page: Page
) -> None:
    link = await login_link(site.fake, WORKER_G2)
    token = parse_qs(urlsplit(link).query)["t"][0]
    # Ten minutes pass: the link's time is up (as the clock would make it, in the database).
    with sqlite3.connect(site.griddesk.db_path, timeout=10) as db:
        changed = db.execute(
            "UPDATE web_links SET expires_at = created_at WHERE hash = ?",
            (hashlib.sha256(token.encode()).hexdigest(),),
        ).rowcount
    assert changed == 1

    await refused(page, link, EXPIRED)
    assert sessions(site, WORKER_G2) == 0


async def test_a_forged_session_cookie_lands_on_the_login_page_and_is_forgotten(
    site: Site, page: Page
) -> None:
    await page.context.add_cookies([{"name": COOKIE, "value": "A" * 43, "url": site.base}])
    answer = await page.goto(f"{site.base}/cases")
    assert answer is not None
    assert urlsplit(page.url).path == "/login"
    await page.get_by_text("/web").first.wait_for()  # how to get a link: ask the bot
    assert await page.locator(".bar .who").count() == 0
    assert [c for c in await page.context.cookies() if c["name"] == COOKIE] == []

    # A real session's cookie with one character changed is just as forged.
    await log_in(page, site, COMMUNITY)
    real = next(c for c in await page.context.cookies() if c["name"] == COOKIE)
    value = real["value"]
    forged = value[:-1] + ("A" if value[-1] != "A" else "B")
    await page.context.clear_cookies()
    await page.context.add_cookies([{"name": COOKIE, "value": forged, "url": site.base}])
    await page.goto(f"{site.base}/")
    assert urlsplit(page.url).path == "/login"
