"""The dashboard's frame in chromium on the real process: Chinese drawn with a CJK font, the app's
own stylesheet under its Content-Security-Policy, a screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page

from tests.browser.kit import has_real_glyphs, layout_of
from tests.e2e.web import Site

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_error_page_draws_chinese_with_real_glyphs_under_the_apps_stylesheet(
    site: Site, page: Page, tmp_path: Path
) -> None:
    stylesheet = await page.goto(f"{site.base}/static/dashboard.css")
    assert stylesheet is not None and stylesheet.ok
    assert stylesheet.headers["content-type"].startswith("text/css")

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    # A login link nobody issued: the app's own 400 page, before any login.
    async with page.expect_response(f"{site.base}/static/dashboard.css") as css:
        answer = await page.goto(f"{site.base}/login?t=no-such-link")
    assert answer is not None and answer.status == 400
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert (await css.value).ok

    assert await page.title() == "登录网页工作台"
    notice = page.locator(".notice.error")
    background = await notice.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 246, 246)"  # dashboard.css applied, not blocked by the CSP
    assert violations == []
    assert failed == [f"{site.base}/login?t=no-such-link"]  # the page itself, nothing else
    brand = await layout_of(page, ".bar .brand")
    assert brand.text == "网格治理工作台"
    assert has_real_glyphs(brand), brand
    heading = await layout_of(page, ".notice.error h1")
    assert heading.text == "登录网页工作台" and has_real_glyphs(heading), heading
    message = page.locator(".notice.error p")
    assert (await message.inner_text()).startswith("这个登录链接无效")

    shot = tmp_path / "error.png"
    await page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 2_000
