"""The home page's map in Debian's chromium (Playwright, headless): the real web app served by
uvicorn, Leaflet and map.js from /static, tiles from a local tile server started here, and one
circle marker per pin of /cases.geojson.

Until the login lands (handlers/web/login.py), a test middleware logs the street's member in.
The browser fixture is this file's own until tests/browser/conftest.py provides the shared one.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.metrics import Prometheus
from bot.services import Services
from bot.usecases import reports
from handlers.web import figures, home, pages, server
from handlers.web.context import Web
from handlers.web.viewer import Viewer
from tests.conftest import RESIDENT, STREET

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def png(width: int = 256, height: int = 256, rgb: tuple[int, int, int] = (222, 235, 247)) -> bytes:
    """One plain tile: a PNG written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Serve = Callable[[Any], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Serves an ASGI app with uvicorn in this test's event loop; returns its base URL."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: Any) -> str:
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        running = uvicorn.Server(config)
        task = asyncio.create_task(running.serve())
        servers.append((running, task))
        for _ in range(200):  # bounded: at most ~10 s
            if running.started:
                return f"http://127.0.0.1:{port}"
            await asyncio.sleep(0.05)
        raise AssertionError("uvicorn did not start")

    yield start
    for running, task in servers:
        running.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        try:
            context = await browser.new_context(locale="zh-CN")
            yield await context.new_page()
        finally:
            await browser.close()


async def file(services: Services, unit: str, lat: float | None = None, lon: float | None = None):
    return await reports.submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit=unit,
        description="楼道堆放杂物",
        photos=["p1"],
        lat=lat,
        lon=lon,
    )


async def test_the_map_draws_one_marker_per_pin_on_the_office_tiles(
    services: Services, serve: Serve, page: Any, tmp_path: Path
):
    tiles_asked: list[str] = []

    async def tile(request: Request) -> Response:
        tiles_asked.append(request.url.path)
        return Response(png(), media_type="image/png")

    tiles = await serve(Starlette(routes=[Route("/{z}/{x}/{y}.png", tile)]))
    web_settings = services.settings.web.model_copy(
        update={"tiles_url": tiles + "/{z}/{x}/{y}.png", "tiles_attribution": "测试底图"}
    )
    services.settings = services.settings.model_copy(update={"web": web_settings})
    pinned = await file(services, "B1", 30.6050, 114.3050)
    at_building = await file(services, "B3")
    await file(services, "G2")  # no coordinates anywhere: listed as unplaced, not drawn
    staff = await services.people.staff(STREET)
    assert staff is not None

    async def as_street(request: Request, call_next: RequestResponseEndpoint) -> Response:
        request.state.viewer = Viewer(staff, "zh", "tok", "s")
        return await call_next(request)

    app = server.build(
        Web(services, None, Prometheus(), services.clock()),  # type: ignore[arg-type]
        [pages.routes, home.routes, figures.routes],
    )
    app.add_middleware(BaseHTTPMiddleware, dispatch=as_street)
    base = await serve(app)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)

    await page.goto(base + "/")
    await page.wait_for_selector("#map[data-markers]", timeout=15_000)

    assert await page.get_attribute("#map", "data-markers") == "2"
    assert await page.locator("path.leaflet-interactive").count() == 2
    assert await page.locator("path.pin-grid").count() == 2
    drawn = "[...document.querySelectorAll('img.leaflet-tile')].some(i => i.naturalWidth > 0)"
    await page.wait_for_function(drawn, timeout=15_000)
    assert tiles_asked
    assert "测试底图" in await page.inner_text(".leaflet-control-attribution")
    assert "另有 1 件案件没有位置" in await page.inner_text("main")

    await page.locator("path.leaflet-interactive").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    await popup.wait_for(timeout=10_000)
    link = popup.locator("a")
    href = await link.get_attribute("href")
    assert href in (f"/cases/{pinned.number}", f"/cases/{at_building.number}")
    assert "环境卫生" in await popup.inner_text()
    # the browser asks for a favicon on its own; nothing else may fail
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []
    await page.screenshot(path=str(tmp_path / "home.png"))  # to look at when it fails
