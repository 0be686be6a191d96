"""Issue 10 item 6 in chromium on the real process: the map shows a report filed with a location
pin; accepting a case in the page moves it and the reporter is told in chat; a POST without the
session's CSRF token moves nothing; a resident or another grid's member sees nothing they
should not (not the case in /cases, its page, its photo, nor its pin in /cases.geojson).

Selectors are what a person sees (roles, texts) or Leaflet's own classes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.browser.conftest import profile
from tests.browser.kit import log_in
from tests.browser.tiles import Tiles
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.e2e.people import Player, register
from tests.e2e.web import LOGIN_LINK, Site, file_with_pin

pytestmark = pytest.mark.asyncio(loop_scope="session")

PIN = (30.60031, 114.30022)  # about 40 m from 1栋 (第一网格)
TEXT = "1栋北门消防通道被私家车堵住"
MARKERS = (  # an L.marker's icon, or a circle marker drawn in the overlay pane
    ".leaflet-marker-pane .leaflet-marker-icon, .leaflet-overlay-pane path.leaflet-interactive"
)
NOT_FOUND = "没有找到这个案件"  # dashboard.not_found
CSRF = "页面已过期或来源不明，操作未执行"  # web.csrf


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def number(site: Site) -> AsyncIterator[str]:
    """A resident of 1栋 files one report with a location pin (the staff of both grids have
    started the bot); returns its case number."""
    for staff in (WORKER_G1, WORKER_G2):
        site.fake.user(staff).send_text("/start")
    resident = Player(site.fake, site.fake.user(RESIDENT, "张三"))
    await register(resident)
    report_id = await file_with_pin(site, resident, *PIN, text=TEXT)
    yield f"R{report_id:06d}"


def status_of(site: Site, number: str) -> str:
    status: str = site.griddesk.scalar(
        "SELECT status FROM reports WHERE id = ?", (int(number.removeprefix("R")),)
    )
    return status


async def pins(page: Page, base: str) -> list[str]:
    """The case numbers of /cases.geojson as PAGE's session gets it."""
    answer = await page.request.get(f"{base}/cases.geojson", max_redirects=0)
    assert answer.status == 200, answer.status
    return [f["properties"]["number"] for f in (await answer.json())["features"]]


async def test_the_map_shows_a_marker_for_the_report_filed_with_a_pin(
    site: Site, page: Page, tiles: Tiles, number: str
) -> None:
    await log_in(page, site, WORKER_G1)
    await page.goto(f"{site.base}/")

    await page.locator(MARKERS).first.wait_for()
    assert await page.locator(MARKERS).count() == 1
    assert tiles.fetched, "the map drew no tile from tiles_url"
    assert await page.get_by_text("测试底图").count() == 1  # the attribution
    assert await pins(page, site.base) == [number]


async def test_accepting_in_the_page_moves_the_case_and_tells_the_reporter_in_chat(
    site: Site, page: Page, number: str
) -> None:
    resident = Player(site.fake, site.fake.user(RESIDENT))
    resident.seen = site.fake.seq
    await log_in(page, site, WORKER_G1)
    await page.goto(f"{site.base}/cases")
    await page.get_by_role("link", name=re.compile(number)).first.click()
    await page.get_by_text(TEXT).first.wait_for()
    accept = page.get_by_role("button", name=re.compile("接单"))
    await accept.wait_for()

    # The same POST replayed with the session's cookie but without (or with a wrong) CSRF
    # field is refused and moves nothing.
    for form in ({}, {"csrf": "x" * 43}):
        replay = await page.request.post(f"{page.url}/accept", form=form, max_redirects=0)
        assert replay.status == 403 and CSRF in await replay.text()
    assert status_of(site, number) == "open"

    await accept.click()

    await resident.wait_text(f"案件 {number} 已由")  # notice.accepted, through the outbox
    assert status_of(site, number) == "accepted"
    await page.wait_for_url(f"{site.base}/cases/{number}")
    state = page.locator("dl.case dd").nth(2)  # 状态
    assert (await state.inner_text()).strip() == "处置中"
    await page.get_by_role("status").filter(has_text=number).wait_for()  # what was done
    assert await accept.count() == 0  # accepted once: the button is gone


async def test_another_grids_member_and_a_resident_see_nothing_of_the_case(
    site: Site, page: Page, browser: Browser, number: str
) -> None:
    case_url = f"{site.base}/cases/{number}"
    await log_in(page, site, WORKER_G1)
    await page.goto(f"{site.base}/cases")
    assert await page.get_by_role("link", name=number).count() == 1
    photo = await page.request.get(f"{case_url}/photos/1", max_redirects=0)
    assert photo.status == 200  # the holder's grid sees it (fetched through getFile)
    assert await pins(page, site.base) == [number]

    async with profile(browser) as other:
        stranger = await other.new_page()
        await log_in(stranger, site, WORKER_G2)  # 第二网格: not 1栋's grid
        await stranger.goto(f"{site.base}/cases")
        await stranger.locator("#cases").wait_for()
        assert await stranger.get_by_text(number).count() == 0
        answer = await stranger.goto(case_url)
        assert answer is not None and answer.status == 404
        await stranger.get_by_text(NOT_FOUND).wait_for()
        assert await stranger.get_by_text(TEXT).count() == 0
        photo = await stranger.request.get(f"{case_url}/photos/1", max_redirects=0)
        assert photo.status == 404 and not photo.headers["content-type"].startswith("image/")
        accept = await stranger.request.post(f"{case_url}/accept", max_redirects=0)
        assert accept.status == 403  # no CSRF token of the page it never saw
        assert await pins(stranger, site.base) == []

    # A resident asking for the dashboard gets an answer, but no link; the pages send them away.
    before = site.fake.seq
    site.fake.user(RESIDENT).send_text("/web")
    replies = await site.fake.wait_for(
        lambda: [m for m in site.fake.bot_messages(RESIDENT) if m.get("_seq", 0) > before],
        what="the answer to a resident's /web",
    )
    assert "仅供工作人员" in str(replies)  # weblogin.staff_only
    assert not LOGIN_LINK.search(str(replies))
    async with profile(browser) as anonymous:
        visitor = await anonymous.new_page()
        await visitor.goto(case_url)
        assert urlsplit(visitor.url).path == "/login"
        assert await visitor.get_by_text(TEXT).count() == 0
        photo = await visitor.request.get(f"{case_url}/photos/1", max_redirects=0)
        assert photo.status == 303 and photo.headers["location"] == "/login"
        geojson = await visitor.request.get(f"{site.base}/cases.geojson", max_redirects=0)
        assert geojson.status in (303, 401, 403) and number not in await geojson.text()
