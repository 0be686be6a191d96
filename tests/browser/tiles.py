"""A map tile server on 127.0.0.1 for the dashboard's map in the browser tests and the README's
screenshot: plain 256×256 PNG tiles (a paper colour, a grid, the tile's z/x/y), no network.
Every tile asked for is recorded, so a test can tell the map really fetched it."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache

from aiohttp import web
from PIL import Image, ImageDraw


@cache
def tile(z: int, x: int, y: int) -> bytes:
    """Returns the PNG of tile Z/X/Y: the same bytes for the same tile."""
    image = Image.new("RGB", (256, 256), (242, 239, 233))
    draw = ImageDraw.Draw(image)
    for at in range(0, 256, 64):
        draw.line([(at, 0), (at, 255)], fill=(225, 221, 212))
        draw.line([(0, at), (255, at)], fill=(225, 221, 212))
    draw.rectangle([0, 0, 255, 255], outline=(210, 205, 195))
    draw.text((6, 4), f"{z}/{x}/{y}", fill=(170, 165, 155))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Tiles:
    url: str  # the [web] tiles_url template: http://127.0.0.1:<port>/{z}/{x}/{y}.png
    fetched: list[tuple[int, int, int]] = field(default_factory=list)


@asynccontextmanager
async def tile_server() -> AsyncIterator[Tiles]:
    """Serves tiles on a free port of 127.0.0.1 while the block runs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    tiles = Tiles(f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png")

    async def serve(request: web.Request) -> web.Response:
        try:
            z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
        except ValueError:
            raise web.HTTPNotFound() from None
        if not (0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z):
            raise web.HTTPNotFound()
        tiles.fetched.append((z, x, y))
        return web.Response(body=tile(z, x, y), content_type="image/png")

    app = web.Application()
    app.router.add_get("/{z}/{x}/{y}.png", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield tiles
    finally:
        await runner.cleanup()
        sock.close()
