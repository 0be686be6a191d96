"""Open311 GeoReport v2 (handlers/web/open311.py): the categories as services, reports as public
service requests, and filing a report with a client's key.

Reads are public, so a request carries no personal data: no reporter, contact, name or photo;
the description only if the office allows it (`[open311] public_description`, else the
category's name), the official reply likewise. Filing goes through reports.submit, so an Open311
report is routed, clocked and notified exactly like one from chat (extra: {"source": "open311"}).
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain.categories import Category
from bot.domain.reports import Report, Status
from bot.domain.units import UnitTree, distance_m, pin
from bot.services import Services
from bot.settings import Open311Key
from bot.texts import Raw
from bot.usecases import reports
from bot.usecases.results import Done, Refused

SOURCE = "open311"  # reports.extra["source"] of a report filed through Open311
# 核实 and 复查 are steps of an open request (its handling is not finished)
OPEN = (Status.OPEN, Status.ACCEPTED, Status.CHECKING, Status.REVIEWING)
CLOSED = tuple(status for status in Status if status not in OPEN)  # merged counts as closed
STATES = {"open": OPEN, "closed": CLOSED}
MAX_PAGE = 100_000  # a page beyond this is refused, not scanned for


@dataclass(frozen=True, slots=True)
class Service:
    """One category as an Open311 service."""

    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    group: str


@dataclass(frozen=True, slots=True)
class Request:
    """One report as a public service request (no personal data)."""

    service_request_id: str
    status: str  # "open" or "closed"
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str
    lat: float | None
    long: float | None


@dataclass(frozen=True, slots=True)
class Filed:
    """A report filed through Open311: its case number and what the client is told."""

    service_request_id: str
    service_notice: str


def text(services: Services, key: str, lang: str, params: Mapping[str, object] = {}) -> str:
    """Returns catalog KEY for JSON or XML, not for Telegram: parameters are not HTML-escaped
    (the JSON and XML writers escape what they must)."""
    return services.texts(key, lang, **{name: Raw(str(v)) for name, v in params.items()})


# Services ---------------------------------------------------------------------------------------


def _service(services: Services, category: Category, lang: str) -> Service:
    kind, name = "urgent" if category.urgent else "regular", category.name(lang)
    return Service(
        code=category.code,
        name=name,
        description=text(services, f"open311.service_description.{kind}", lang, {"name": name}),
        keywords=tuple(dict.fromkeys((category.zh, category.en))),
        group=text(services, f"open311.group.{kind}", lang),
    )


async def service_list(services: Services, *, lang: str) -> list[Service]:
    """Returns every category as a service, in the office's order."""
    return [_service(services, c, lang) for c in await services.units.categories()]


async def service_of(services: Services, code: str, *, lang: str) -> Done[Service] | Refused:
    """Returns the category CODE as a service, or open311.unknown_service."""
    category = await services.units.category(code)
    if category is None:
        return Refused("open311.unknown_service", {"code": code})
    return Done(_service(services, category, lang))


# Requests ---------------------------------------------------------------------------------------


def _request(services: Services, report: Report, tree: UnitTree, names: dict[str, Category],
             lang: str) -> Request:  # fmt: skip
    public = services.settings.open311.public_description
    category = names.get(report.category)
    name = category.name(lang) if category else report.category
    notes = text(services, f"open311.status.{report.status.value}", lang)
    if public and report.resolution_note and report.status not in OPEN:
        reply = {"status": notes, "reply": report.resolution_note}
        notes = text(services, "open311.status_with_reply", lang, reply)
    holder = tree.get(report.holder_unit).name if report.holder_unit in tree else ""
    lat, lon = pin(report.lat, report.lon, report.unit, tree) or (None, None)
    tz = services.tz
    return Request(
        service_request_id=report.number,
        status="open" if report.status in OPEN else "closed",
        status_notes=notes,
        service_name=name,
        service_code=report.category,
        description=report.description if public else name,
        agency_responsible=holder,
        requested_datetime=report.created_at.astimezone(tz),
        updated_datetime=(report.updated_at or report.created_at).astimezone(tz),
        expected_datetime=report.due_at.astimezone(tz) if report.due_at else None,
        address=tree.place_name(report.unit),
        lat=lat,
        long=lon,
    )


async def _requests(services: Services, found: list[Report], lang: str) -> list[Request]:
    tree = await services.units.tree()
    names = {c.code: c for c in await services.units.categories()}
    return [_request(services, report, tree, names, lang) for report in found]


async def list_requests(
    services: Services,
    *,
    at: datetime,
    lang: str,
    service_codes: tuple[str, ...] = (),
    states: tuple[str, ...] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> Done[list[Request]] | Refused:
    """Returns one page of requests made between START and END, newest first.

    Without dates: the last `[open311] days` (90) by AT, the bot's clock; one date: that many
    days from (or up to) it; a wider range, an unknown service or state, or a page_size above
    `[open311] page_size` is refused (never silently cut, so a client does not miss requests).
    """
    settings = services.settings.open311
    span = timedelta(days=settings.days)
    if page_size is None:
        page_size = settings.page_size
    if not 1 <= page_size <= settings.page_size:
        return Refused("open311.page_size", {"max": settings.page_size})
    if not 1 <= page <= MAX_PAGE:
        return Refused("open311.page", {"max": MAX_PAGE})
    for state in states:
        if state not in STATES:
            return Refused("open311.unknown_status", {"status": state})
    known = {c.code for c in await services.units.categories()}
    for code in service_codes:
        if code not in known:
            return Refused("open311.unknown_service", {"code": code})
    if start is None and end is None:
        start, end = at - span, at
    elif start is None:
        assert end is not None
        start = end - span
    elif end is None:
        end = start + span
    if start > end:
        return Refused("open311.dates_reversed", {})
    if end - start > span:
        return Refused("open311.dates_span", {"days": settings.days})
    statuses = tuple(dict.fromkeys(s for state in states for s in STATES[state]))
    found = await services.reports.requested(
        since=start,
        until=end,
        categories=service_codes,
        statuses=statuses if set(statuses) != set(Status) else (),
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    return Done(await _requests(services, found, lang))


def report_id_of(number: str) -> int | None:
    """Returns the report id in a case number ('R000123', 'r123' or '123'), or None."""
    digits = number[1:] if number[:1] in ("R", "r") else number
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        return None
    return int(digits)


async def request_of(services: Services, number: str, *, lang: str) -> Done[Request] | Refused:
    """Returns the request with case number NUMBER, or open311.unknown_request."""
    report_id = report_id_of(number)
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("open311.unknown_request", {"id": number})
    return Done((await _requests(services, [report], lang))[0])


# Filing -----------------------------------------------------------------------------------------


def key_of(services: Services, api_key: str | None) -> Open311Key | None:
    """Returns the configured key API_KEY, or None (compared in constant time)."""
    if not api_key:
        return None
    given = api_key.encode()
    for key in services.settings.open311.keys:
        if hmac.compare_digest(key.key.encode(), given):
            return key
    return None


async def file_request(
    services: Services,
    *,
    api_key: str | None,
    service_code: str | None,
    lat: float | None,
    lon: float | None,
    description: str | None,
    lang: str,
) -> Done[Filed] | Refused:
    """Files a report for the client holding API_KEY at the building (or grid) nearest to
    (LAT, LON), routed, clocked and notified like one from chat. Refused, with nothing stored:
    no or an unknown key, an unknown service, no or too long a description, missing or
    impossible coordinates, a place farther than `[open311] far_m` from every unit with
    coordinates, or one outside the key's unit subtree."""
    settings = services.settings.open311
    key = key_of(services, api_key)
    if key is None:
        return Refused("open311.no_key" if not api_key else "open311.bad_key", {})
    category = await services.units.category(service_code) if service_code else None
    if category is None:
        return Refused("open311.unknown_service", {"code": service_code or ""})
    told = (description or "").strip()
    if not told:
        return Refused("open311.no_description", {})
    if len(told) > settings.description_max:
        return Refused("open311.long_description", {"max": settings.description_max})
    if lat is None or lon is None:
        return Refused("open311.no_location", {})
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return Refused("open311.bad_location", {})
    tree = await services.units.tree()
    found = tree.nearest_building(lat, lon)
    if found is None or found[1] > settings.far_m:
        return Refused("open311.out_of_area", {"km": f"{settings.far_m / 1000:g}"})
    unit = found[0]
    rule = access.open311_file(key.unit, unit.code, tree)
    if rule is not None:
        return Refused("open311.outside_key", {"name": key.name}, rule=rule)
    report = await reports.submit(
        services,
        reporter_id=None,
        entered_by=None,
        category=category.code,
        unit=unit.code,
        description=told,
        photos=(),
        lat=lat,
        lon=lon,
        extra={"source": SOURCE, "key": key.name},
    )
    metres = round(distance_m(lat, lon, unit.lat or lat, unit.lon or lon))
    place = tree.place_name(unit.code)
    notice = text(
        services, "open311.filed", lang, {"number": report.number, "place": place, "metres": metres}
    )
    return Done(Filed(report.number, notice))
