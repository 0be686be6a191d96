"""The dashboard's home page `/`: the viewer's open reports counted by tier and overdue, on a map
when `[web] tiles_url` is set (handlers/web/static/map.js draws it from /cases.geojson), else as
a plain list; and `/cases.geojson`, the same pins as GeoJSON. Both: bot/usecases/overview.py."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.domain.units import Tier
from bot.usecases import overview
from bot.usecases.results import Refused
from handlers.web import pages
from handlers.web.context import Web
from handlers.web.viewer import Forbidden, staff_only, viewer_of

PINS_PATH = "/cases.geojson"
TIER_MARKS = {Tier.GRID: "🟢", Tier.COMMUNITY: "🟡", Tier.STREET: "🔵", Tier.DISTRICT: "🔴"}


def routes(web: Web) -> list[BaseRoute]:
    services = web.services

    async def load(request: Request) -> overview.Home:
        viewer = viewer_of(request)
        assert viewer is not None  # staff_only
        result = await overview.home(
            services, by=viewer.staff.user_id, at=services.clock(), lang=viewer.lang
        )
        if isinstance(result, Refused):
            raise Forbidden(result.key, **result.params)
        return result.value

    @staff_only
    async def home(request: Request) -> Response:
        found = await load(request)
        settings = services.settings.web
        return pages.render(
            web,
            request,
            "home.html",
            home=found,
            tiers=[(tier, TIER_MARKS[tier], found.counts.by_tier[tier]) for tier in Tier],
            marks=TIER_MARKS,
            tiles=settings.tiles_url,
            subdomains=settings.tiles_subdomains,
            attribution=settings.tiles_attribution,
            pins_url=PINS_PATH,
        )

    @staff_only
    async def pins(request: Request) -> Response:
        found = await load(request)
        body = {
            "type": "FeatureCollection",
            "features": [_feature(pin) for pin in found.placed],
            "capped": found.capped,
            "open": found.counts.total,
        }
        return Response(
            json.dumps(body, ensure_ascii=False),
            media_type="application/geo+json",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    return [Route("/", home, name="home"), Route(PINS_PATH, pins, name="pins")]


def _feature(pin: overview.Pin) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [pin.lon, pin.lat]},  # GeoJSON: lon first
        "properties": {
            "number": pin.number,
            "tier": pin.tier.value,
            "status": pin.status.value,
            "category": pin.category,
            "place": pin.place,
            "overdue": pin.overdue,
            "url": f"/cases/{pin.number}",
        },
    }
