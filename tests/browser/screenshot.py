"""Takes the README's screenshot of the staff dashboard:

    python -m tests.browser.screenshot docs/dashboard.png [--staff 201] [--path /]

Starts the real `griddesk run` on a temporary database with the test office (tests/data/config.toml)
against the fake Bot API, a local tile server for the map, and demo reports filed the way a 12345
hotline would (Open311, each with its location pin) in several categories; the grid worker
accepts one in chat. Then the community secretary (陈社区) logs in with the link the bot sends for
/web and chromium saves the page. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

from tests.browser.kit import CHROMIUM_ARGS, MISSING, log_in
from tests.browser.tiles import tile_server
from tests.conftest import COMMUNITY, WORKER_G1, WORKER_G2
from tests.e2e.people import Player
from tests.e2e.web import Site, serving
from tests.open311_config import KEY_C1, add_open311

# (category, lat, long, description): around 1栋 and 2栋 (第一网格) and 3栋 (第二网格)
DEMO = [
    ("litter", 30.60004, 114.29985, "1栋东侧垃圾桶满溢，异味明显"),
    ("road", 30.60062, 114.30071, "1栋与2栋之间路面塌陷一个坑"),
    ("property", 30.60113, 114.30122, "2栋电梯停运两天"),
    ("safety", 30.60091, 114.30031, "2栋楼道堆放电动车电池充电"),
    ("road", 30.60987, 114.30995, "3栋门口路灯不亮"),
    ("litter", 30.61044, 114.31063, "3栋北侧绿化带建筑垃圾"),
]


async def refer(site: Site, player: Player, report_id: int, reason: str, tier: str) -> None:
    """PLAYER refers REPORT_ID up from their card in chat, giving REASON; waits for TIER."""
    await player.tap(f"report:refer:{report_id}", timeout=30)
    player.send(player.user.send_text, reason)
    await site.griddesk.wait_db(
        lambda g: g.scalar("SELECT tier FROM reports WHERE id = ?", (report_id,)) == tier,
        what=f"report {report_id} referred up to the {tier} tier",
    )


async def demo_reports(site: Site) -> None:
    """Files DEMO through Open311; in chat, the grid worker of 第一网格 accepts the first and
    refers the second and third up to the community, whose secretary refers the second on to
    the street: the map shows every tier's colour but the district's."""
    for staff in (WORKER_G1, WORKER_G2, COMMUNITY):  # staff must have started the bot
        site.fake.user(staff).send_text("/start")
    worker = Player(site.fake, site.fake.user(WORKER_G1, "李网格"))
    secretary = Player(site.fake, site.fake.user(COMMUNITY, "陈社区"))
    async with httpx.AsyncClient(base_url=f"{site.base}/open311/v2", timeout=10) as web:
        for code, lat, lon, text in DEMO:
            fields = {"api_key": KEY_C1, "service_code": code, "lat": lat, "long": lon}
            answer = await web.post("/requests.json", data=fields | {"description": text})
            answer.raise_for_status()
    first = site.griddesk.scalar("SELECT MIN(id) FROM reports")
    await worker.tap(f"report:accept:{first}", timeout=30)
    await site.griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (first,)) == "accepted",
        what="the first demo report accepted",
    )
    await refer(site, worker, first + 1, "路面塌陷需社区协调施工队", "community")
    await refer(site, worker, first + 2, "电梯维保需物业与社区协调", "community")
    await refer(site, secretary, first + 1, "需街道协调市政养护单位", "street")


async def take(out: Path, *, staff: int, path: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit(f"chromium is not on PATH: {MISSING}")
    with tempfile.TemporaryDirectory(prefix="griddesk-shot-") as folder:
        async with (
            tile_server() as tiles,
            serving(
                Path(folder),
                config=add_open311,
                show_log=False,
                tiles_url=f'"{tiles.url}"',
                tiles_attribution='"演示底图"',
            ) as site,
            async_playwright() as playwright,
        ):
            await demo_reports(site)
            browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(
                    locale="zh-CN",
                    timezone_id="Asia/Shanghai",
                    viewport={"width": 1280, "height": 800},
                    device_scale_factor=1,
                )
                page = await context.new_page()
                await log_in(page, site, staff)
                await page.goto(f"{site.base}{path}")
                await page.wait_for_load_state("networkidle")
                if path == "/":  # the map has drawn its markers (map.js counts them)
                    await page.locator("#map[data-markers]").wait_for(state="attached")
                out.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=out)
            finally:
                await browser.close()
    print(f"saved {out} ({out.stat().st_size} bytes, {len(tiles.fetched)} map tiles drawn)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshot", description=__doc__)
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--staff", type=int, default=COMMUNITY, help="who logs in (a staff id)")
    parser.add_argument("--path", default="/", help="the page to photograph")
    args = parser.parse_args(argv)
    asyncio.run(take(args.out, staff=args.staff, path=args.path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
