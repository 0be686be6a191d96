"""The home page's map in chromium on the real process (issue 10 items 5 and 6): Leaflet and
map.js from /static, tiles from the local tile server (conftest's `tiles`), one circle marker
per open case of /cases.geojson, coloured by tier, each opening its case page.

Two residents file in chat: one in 1栋 (第一网格) with a location pin, one in 3栋 (第二网格) at
home without a pin (drawn at 3栋's coordinates). 周街道 (the street's member) sees both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Page

from tests.browser.kit import log_in
from tests.browser.tiles import Tiles
from tests.conftest import RESIDENT, RESIDENT_2, STREET
from tests.e2e.people import Player, register
from tests.e2e.web import Site, file_with_pin, new_button

pytestmark = pytest.mark.asyncio(loop_scope="session")

PIN = (30.60031, 114.30022)  # about 40 m from 1栋 (第一网格)
PINNED = "1栋门口井盖松动"
AT_HOME = "3栋楼道堆放杂物"
GREEN = "#2e7d32"  # map.js's colour of the grid tier 🟢


async def file_at_home(site: Site, resident: Player, text: str) -> int:
    """RESIDENT (registered) files a photo report captioned TEXT at their home, no pin."""
    user_id = resident.user.id
    resident.send(resident.user.send_photo, text)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    offered = await site.fake.wait_for(
        lambda: new_button(resident, ("newreport:new:", "newreport:send:")),
        what="the confirmation (or 并单's similar reports)",
    )
    if offered.startswith("newreport:new:"):
        await resident.tap("newreport:new:")
    await resident.tap("newreport:send:")
    report_id: int = await site.griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (user_id,)),
        what="the report at home stored",
    )
    return report_id


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def numbers(site: Site) -> AsyncIterator[dict[str, str]]:
    """Files the two reports; returns their case numbers by text."""
    site.fake.user(STREET).send_text("/start")
    first = Player(site.fake, site.fake.user(RESIDENT, "张三"))
    await register(first)
    pinned = await file_with_pin(site, first, *PIN, text=PINNED)
    second = Player(site.fake, site.fake.user(RESIDENT_2, "李四"))
    await register(second, "第二网格", "3栋")
    at_home = await file_at_home(site, second, AT_HOME)
    yield {PINNED: f"R{pinned:06d}", AT_HOME: f"R{at_home:06d}"}


async def test_the_map_draws_each_open_case_coloured_by_tier_on_the_office_tiles(
    site: Site, page: Page, tiles: Tiles, numbers: dict[str, str]
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    await log_in(page, site, STREET)
    await page.goto(f"{site.base}/")

    await page.locator("#map[data-markers]").wait_for(state="attached")
    assert await page.get_attribute("#map", "data-markers") == "2"
    markers = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    assert await markers.count() == 2
    assert await page.locator("path.pin-grid").count() == 2  # both still at the grid tier
    assert {await m.get_attribute("fill") for m in await markers.all()} == {GREEN}
    drawn = "[...document.querySelectorAll('img.leaflet-tile')].some(i => i.naturalWidth > 0)"
    await page.wait_for_function(drawn)
    assert tiles.fetched, "the map drew no tile from tiles_url"
    assert "测试底图" in await page.inner_text(".leaflet-control-attribution")
    # The counts' tier marks are dots drawn by the stylesheet: no colour-emoji font needed.
    dot = page.locator(".count.tier-grid .tier-mark")
    assert await dot.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(46, 125, 50)"

    # A marker's popup names its case and opens its page.
    await markers.first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    number = (await link.inner_text()).strip()
    assert number in numbers.values()
    assert await link.get_attribute("href") == f"/cases/{number}"
    await link.click()
    await page.wait_for_url(f"{site.base}/cases/{number}")
    text = next(t for t, n in numbers.items() if n == number)
    await page.get_by_text(text).first.wait_for()
    assert problems == []
