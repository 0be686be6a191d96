"""The dashboard's home page (handlers/web/home.py): a staff member's open reports counted by
tier and overdue, and the most urgent of them as pins for the map (or the plain list).

Read only. The scope (bot/domain/overview.py Scope, the dashboard's `sees` rule) is applied in
SQL; a pin carries no reporter, contact or free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import access
from bot.domain.overview import Counts, scope_of
from bot.domain.reports import Status
from bot.domain.units import Tier, pin
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse

MAX_PINS = 2000  # the most urgent open reports shown; the page says when there are more


@dataclass(frozen=True, slots=True)
class Pin:
    """One open report on the map or in the list: no reporter, contact or description."""

    number: str  # the case number, R000123 (its page is /cases/R000123)
    tier: Tier
    status: Status
    category: str  # the category's name in the viewer's language
    place: str  # the unit's path, 青山街道 / 春晖社区 / 1栋
    lat: float | None  # the report's pin, else its building's (or grid's) coordinates
    lon: float | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class Home:
    counts: Counts
    pins: list[Pin]  # the most urgent open reports, at most the limit

    @property
    def capped(self) -> bool:
        """More open reports than pins: the page says only the most urgent are shown."""
        return len(self.pins) < self.counts.total

    @property
    def placed(self) -> list[Pin]:
        """The pins with coordinates (what the map can draw)."""
        return [p for p in self.pins if p.lat is not None and p.lon is not None]


async def home(
    services: Services, *, by: int, at: datetime, lang: str, limit: int = MAX_PINS
) -> Done[Home] | Refused:
    """Returns BY's open reports by tier and overdue at AT, and the LIMIT most urgent as pins."""
    staff = await services.people.staff(by)
    if (rule := access.staff_only(staff)) is not None:
        return await refuse(services, by, rule, None, "web:/", at=at)
    assert staff is not None
    tree = await services.units.tree()
    scope = scope_of(staff, tree)
    repo = services.store.overview
    counts = await repo.counts(scope, at)
    found = await repo.open_reports(scope, at, limit)
    names = {c.code: c.name(lang) for c in await services.units.categories()}
    pins = []
    for report in found:
        lat, lon = pin(report.lat, report.lon, report.unit, tree) or (None, None)
        pins.append(
            Pin(
                number=report.number,
                tier=report.tier,
                status=report.status,
                category=names.get(report.category, report.category),
                place=tree.place_name(report.unit),
                lat=lat,
                lon=lon,
                overdue=report.overdue(at),
            )
        )
    return Done(Home(counts, pins))
