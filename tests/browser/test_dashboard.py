"""Issue 10 item 6 in chromium on the real process: the map shows a report filed with a location
pin; accepting a case in the page moves it and the reporter is told in chat; a resident or
another unit's member sees nothing they should not.

Written before the dashboard's pages landed, against their contract: the pages at `/` (the map:
Leaflet, tiles from [web] tiles_url), `/cases` (a list linking each case by its number R000123),
the case page with the worker card's actions (the button "✅ 接单", the catalog's
button.accept); a page a member may not see answers 403 or 404 and shows none of the case.
Selectors are what a person sees (roles, texts) or Leaflet's own classes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.browser.kit import log_in
from tests.browser.tiles import Tiles, tile_server
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.e2e.people import Player, register
from tests.e2e.web import LOGIN_LINK, Site, file_with_pin, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

PIN = (30.60031, 114.30022)  # about 40 m from 1栋 (第一网格)
TEXT = "1栋北门消防通道被私家车堵住"
MARKERS = (  # an L.marker's icon, or a circle marker drawn in the overlay pane
    ".leaflet-marker-pane .leaflet-marker-icon, .leaflet-overlay-pane path.leaflet-interactive"
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tiles() -> AsyncIterator[Tiles]:
    async with tile_server() as served:
        yield served


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site(tmp_path_factory: pytest.TempPathFactory, tiles: Tiles) -> AsyncIterator[Site]:
    """The real process with map tiles from the local tile server; a resident of 1栋 has filed
    one report with a location pin (the staff of both grids have started the bot)."""
    folder = tmp_path_factory.mktemp("dashboard")
    async with serving(folder, tiles_url=f'"{tiles.url}"', tiles_attribution='"测试底图"') as site:
        for staff in (WORKER_G1, WORKER_G2):
            site.fake.user(staff).send_text("/start")
        resident = Player(site.fake, site.fake.user(RESIDENT, "张三"))
        await register(resident)
        await file_with_pin(site, resident, *PIN, text=TEXT)
        yield site


def the_report(site: Site) -> tuple[int, str]:
    report_id: int = site.griddesk.scalar("SELECT MIN(id) FROM reports")
    return report_id, f"R{report_id:06d}"


async def test_the_map_shows_a_marker_for_the_report_filed_with_a_pin(
    site: Site, page: Page, tiles: Tiles
) -> None:
    await log_in(page, site, WORKER_G1)
    await page.goto(f"{site.base}/")

    await page.locator(MARKERS).first.wait_for()
    assert await page.locator(MARKERS).count() == 1
    assert tiles.fetched, "the map drew no tile from tiles_url"
    assert await page.get_by_text("测试底图").count() == 1  # the attribution


async def test_accepting_in_the_page_moves_the_case_and_tells_the_reporter_in_chat(
    site: Site, page: Page
) -> None:
    report_id, number = the_report(site)
    resident = Player(site.fake, site.fake.user(RESIDENT))
    resident.seen = site.fake.seq
    await log_in(page, site, WORKER_G1)
    await page.goto(f"{site.base}/cases")
    await page.get_by_role("link", name=re.compile(number)).first.click()
    await page.get_by_text(TEXT).first.wait_for()

    await page.get_by_role("button", name=re.compile("接单")).click()

    await resident.wait_text(f"案件 {number} 已由")  # notice.accepted, through the outbox
    assert site.griddesk.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == (
        "accepted"
    )
    await page.get_by_text("处置中").first.wait_for()


async def test_another_grids_member_and_a_resident_see_nothing_of_the_case(
    site: Site, page: Page, browser: Browser
) -> None:
    _, number = the_report(site)
    await log_in(page, site, WORKER_G1)
    await page.goto(f"{site.base}/cases")
    link = page.get_by_role("link", name=re.compile(number)).first
    case_url = f"{site.base}{await link.get_attribute('href')}"

    other = await browser.new_context(locale="zh-CN")
    try:
        stranger = await other.new_page()
        await log_in(stranger, site, WORKER_G2)  # 第二网格: not 1栋's grid
        await stranger.goto(f"{site.base}/cases")
        assert await stranger.get_by_text(number).count() == 0
        answer = await stranger.goto(case_url)
        assert answer is not None and answer.status in (403, 404)
        assert await stranger.get_by_text(TEXT).count() == 0
        assert await stranger.get_by_text(number).count() == 0
    finally:
        await other.close()

    # A resident asking for the dashboard gets an answer, but no link; the pages send them away.
    before = site.fake.seq
    site.fake.user(RESIDENT).send_text("/web")
    replies = await site.fake.wait_for(
        lambda: [m for m in site.fake.bot_messages(RESIDENT) if m.get("_seq", 0) > before],
        what="the answer to a resident's /web",
    )
    assert not LOGIN_LINK.search(str(replies))
    anonymous = await browser.new_context()
    try:
        visitor = await anonymous.new_page()
        await visitor.goto(case_url)
        assert urlsplit(visitor.url).path == "/login"
        assert await visitor.get_by_text(TEXT).count() == 0
    finally:
        await anonymous.close()
