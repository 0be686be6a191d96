"""Chromium, driven by Playwright, against the real `griddesk run` process (issue 10 item 6).

The browser is Debian's `chromium` package (`apt-get install chromium`; .ci/run installs it):
Playwright cannot download its own browser here, and the closed network refuses Chromium's
background connections, hence the flags. One browser for the whole session, a fresh context
(cookies, storage, language) for every test, and a `page` in it.

Playwright's async API lives on the event loop that started it, so every test and async
fixture here runs on pytest-asyncio's session loop: each test module says

    pytestmark = pytest.mark.asyncio(loop_scope="session")

(collection stops with a message if one does not). Everything here is marked `e2e` and
`browser`: the inner loop (`pytest -m "not e2e"`) leaves it out, CI runs it. A missing chromium
fails the tests with the command that installs it; they are never skipped.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.browser.kit import CHROMIUM_ARGS, MISSING
from tests.browser.tiles import Tiles, tile_server
from tests.e2e.web import Site, serving

HERE = Path(__file__).parent


def chromium() -> str:
    """Returns the path of Debian's chromium, or fails the test saying how to install it."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(f"chromium is not on PATH: {MISSING}", pytrace=False)
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks every test under tests/browser/ `e2e` and `browser`; checks its loop scope."""
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.browser)
        marker = item.get_closest_marker("asyncio")
        if marker is None or marker.kwargs.get("loop_scope") != "session":
            raise pytest.UsageError(
                f"{item.nodeid}: browser tests run on the session loop; put "
                '`pytestmark = pytest.mark.asyncio(loop_scope="session")` in the module'
            )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless chromium for the whole session."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile in Chinese, as a community office's PC has it."""
    async with profile(browser) as fresh:
        yield fresh


@asynccontextmanager
async def profile(browser: Browser) -> AsyncIterator[BrowserContext]:
    """Another fresh profile in BROWSER (a second person at another PC), closed on exit."""
    fresh = await browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
    )
    fresh.set_default_timeout(15_000)  # bounded waits: a locator that never matches fails
    try:
        yield fresh
    finally:
        await fresh.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tiles() -> AsyncIterator[Tiles]:
    """A map tile server on 127.0.0.1 (tests/browser/tiles.py): what the map fetched."""
    async with tile_server() as served:
        yield served


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site(tmp_path_factory: pytest.TempPathFactory, tiles: Tiles) -> AsyncIterator[Site]:
    """The real bot with its web app and the map's tiles from TILES (attribution 测试底图),
    shared by the tests of one module (they must not interfere: each files what it needs and
    looks only at that)."""
    folder = tmp_path_factory.mktemp("site")
    keys = {"tiles_url": f'"{tiles.url}"', "tiles_attribution": '"测试底图"'}
    async with serving(folder, **keys) as running:
        yield running
