"""The dashboard's frame in chromium on the real process: Chinese drawn with a CJK font, the app's
own stylesheet under its Content-Security-Policy, a screenshot."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from playwright.async_api import Page, Route

from bot import settings as settings_module
from bot.texts import Texts
from handlers.web import pages
from tests.browser.kit import has_real_glyphs, layout_of
from tests.e2e.web import Site

pytestmark = pytest.mark.asyncio(loop_scope="session")


def error_page(config: Path, key: str) -> tuple[str, dict[str, str]]:
    """The 403 page the app answers to Forbidden(KEY) for a visitor without a session, in Chinese:
    handlers/web/pages.py's template and headers under the process's own config."""
    texts = Texts("zh")
    html = pages.ENV.get_template("error.html").render(
        t=lambda k, **p: Markup(texts(k, "zh", **p)),
        lang="zh",
        viewer=None,
        csrf="",
        key=key,
        params={},
    )
    web = SimpleNamespace(services=SimpleNamespace(settings=settings_module.load(config)))
    return html, pages.headers(web)


async def test_the_error_page_draws_chinese_with_real_glyphs_under_the_apps_stylesheet(
    site: Site, page: Page, tmp_path: Path
) -> None:
    stylesheet = await page.goto(f"{site.base}/static/dashboard.css")
    assert stylesheet is not None and stylesheet.ok
    assert stylesheet.headers["content-type"].startswith("text/css")

    # No route on main serves a page before login yet: the browser gets the error page as the
    # app renders it, at the app's own address, and fetches everything else from the process.
    html, headers = error_page(site.griddesk.config, "web.csrf")

    async def answer(route: Route) -> None:
        await route.fulfill(status=403, body=html, headers=headers, content_type="text/html")

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    await page.route(f"{site.base}/forbidden", answer)
    async with page.expect_response(f"{site.base}/static/dashboard.css") as css:
        await page.goto(f"{site.base}/forbidden")
    assert (await css.value).ok

    await page.get_by_role("alert").wait_for()
    assert await page.title() == "网格治理工作台"
    notice = page.locator(".notice.error")
    background = await notice.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 246, 246)"  # dashboard.css applied, not blocked by the CSP
    assert violations == []
    brand = await layout_of(page, ".bar .brand")
    assert brand.text == "网格治理工作台"
    assert has_real_glyphs(brand), brand
    message = await layout_of(page, ".notice.error p")
    assert message.text.startswith("页面已过期") and has_real_glyphs(message), message

    shot = tmp_path / "error.png"
    await page.screenshot(path=shot, full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 2_000
