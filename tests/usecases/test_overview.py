"""bot/usecases/overview.py on a real SQLite file, reports filed and moved by the real use cases:
who sees which open reports (scope in SQL), where each pin goes, the cap, and no personal data."""

from __future__ import annotations

from dataclasses import asdict

from bot.domain.overview import Scope, urgency
from bot.domain.units import Tier
from bot.services import Services
from bot.usecases import reports
from bot.usecases.overview import Home, home
from bot.usecases.results import Done, Refused
from tests.conftest import (
    ADMIN,
    COMMUNITY,
    HEAD_G1,
    PROPERTY,
    RESIDENT,
    STREET,
    WORKER_G1,
    WORKER_G2,
)
from tests.fakes import FakeClock

SECRET = "楼下王阿姨家门口堆满杂物"
PHONE = "13912345678"


async def file(
    services: Services,
    unit: str,
    category: str = "litter",
    *,
    lat: float | None = None,
    lon: float | None = None,
) -> str:
    report = await reports.submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category=category,
        unit=unit,
        description=SECRET,
        photos=["photo-1"],
        contact=PHONE,
        lat=lat,
        lon=lon,
    )
    return report.number


async def seen(services: Services, who: int, **kwargs: int) -> Home:
    result = await home(services, by=who, at=services.clock(), lang="zh", **kwargs)
    assert isinstance(result, Done), result
    return result.value


async def test_each_member_sees_only_the_open_reports_of_their_own_area(services: Services):
    g1 = await file(services, "B1")
    g2 = await file(services, "B3")
    flat = await file(services, "B2", "property")
    done = int((await file(services, "B1"))[1:])
    await reports.accept(services, done, by=WORKER_G1, at=services.clock())
    await reports.resolve(services, done, by=WORKER_G1, at=services.clock(), photo="a", note="好了")

    def numbers(found: Home) -> set[str]:
        return {p.number for p in found.pins}

    assert numbers(await seen(services, WORKER_G1)) == {g1, flat}
    assert numbers(await seen(services, WORKER_G2)) == {g2}
    assert numbers(await seen(services, HEAD_G1)) == {g1, flat}
    assert numbers(await seen(services, COMMUNITY)) == {g1, g2, flat}
    assert numbers(await seen(services, STREET)) == {g1, g2, flat}
    assert numbers(await seen(services, ADMIN)) == {g1, g2, flat}
    assert numbers(await seen(services, PROPERTY)) == {flat}  # a partner: its categories only
    counted = await seen(services, WORKER_G2)
    assert counted.counts.total == 1 and counted.counts.by_tier[Tier.GRID] == 1


async def test_a_report_referred_up_stays_with_the_member_it_is_assigned_to_and_the_holder(
    services: Services,
):
    number = await file(services, "B3")
    await reports.refer_up(
        services, int(number[1:]), by=WORKER_G2, at=services.clock(), reason="需要社区协调"
    )
    report = await services.reports.get(int(number[1:]))
    assert report is not None and report.tier is Tier.COMMUNITY

    assert {p.number for p in (await seen(services, COMMUNITY)).pins} == {number}
    assert (await seen(services, COMMUNITY)).counts.by_tier[Tier.COMMUNITY] == 1
    assert {p.number for p in (await seen(services, WORKER_G1)).pins} == set()


async def test_a_pin_is_the_reports_own_location_else_its_buildings_else_none(
    services: Services,
):
    pinned = await file(services, "B1", lat=30.6055, lon=114.3055)
    building = await file(services, "B2")
    grid = await file(services, "G2")  # no coordinates at the grid nor anywhere above it

    pins = {p.number: p for p in (await seen(services, STREET)).pins}

    assert (pins[pinned].lat, pins[pinned].lon) == (30.6055, 114.3055)
    assert (pins[building].lat, pins[building].lon) == (30.6010, 114.3010)
    assert (pins[grid].lat, pins[grid].lon) == (None, None)
    assert pins[building].place == "青山街道 / 春晖社区 / 第一网格 / 2栋"
    assert pins[building].category == "环境卫生"
    found = await seen(services, STREET)
    assert {p.number for p in found.placed} == {pinned, building}


async def test_only_the_most_urgent_pins_are_kept_and_the_cap_is_told(
    services: Services, clock: FakeClock
):
    early = await file(services, "B1")
    clock.advance(hours=2)
    later = await file(services, "B3")
    urgent = await file(services, "B2", "safety")  # an urgent category: the nearest deadline
    clock.advance(days=3)  # every deadline has passed: all three are overdue
    fresh = await file(services, "B1")  # on time

    everything = await seen(services, STREET)
    capped = await seen(services, STREET, limit=2)

    assert [p.number for p in everything.pins][-1] == fresh
    assert all(p.overdue for p in everything.pins[:3]) and not everything.pins[3].overdue
    assert everything.counts.overdue == 3 and not everything.capped
    assert capped.capped and capped.counts.total == 4
    assert len(capped.pins) == 2 and fresh not in {p.number for p in capped.pins}
    assert {early, later, urgent} >= {p.number for p in capped.pins}


async def test_a_pin_carries_no_reporter_phone_description_or_photo(services: Services):
    await file(services, "B1", lat=30.6, lon=114.3)

    (pin,) = (await seen(services, WORKER_G1)).pins
    values = asdict(pin)

    assert set(values) == {"number", "tier", "status", "category", "place", "lat", "lon", "overdue"}
    text = repr(values)
    assert SECRET not in text and PHONE not in text and "photo-1" not in text
    assert str(RESIDENT) not in text


async def test_someone_not_on_the_staff_list_is_refused_and_recorded(services: Services):
    await file(services, "B1")

    result = await home(services, by=RESIDENT, at=services.clock(), lang="zh")

    assert isinstance(result, Refused) and result.rule is not None
    row = await services.store.db.fetchone(
        "SELECT rule FROM refusals WHERE user_id = ?", (RESIDENT,)
    )
    assert row is not None and row[0] == "staff_only"


async def test_overdue_follows_the_clock_not_the_sweep(services: Services, clock: FakeClock):
    await file(services, "B1")
    assert (await seen(services, WORKER_G1)).counts.overdue == 0

    clock.advance(days=30)

    assert (await seen(services, WORKER_G1)).counts.overdue == 1
    assert (await seen(services, WORKER_G1)).pins[0].overdue  # never swept: due_at is read


async def test_storage_keeps_the_domains_order_of_urgency(services: Services, clock: FakeClock):
    await file(services, "B1")
    referred = int((await file(services, "B3"))[1:])
    await reports.refer_up(services, referred, by=WORKER_G2, at=clock(), reason="需要社区协调")
    clock.advance(hours=30)
    await file(services, "B2", "safety")
    await file(services, "B2")
    clock.advance(days=2)
    await file(services, "B1")
    now = clock()

    found = await services.store.overview.open_reports(Scope(None, None, 0), now, 100)

    assert len(found) == 5
    assert found == sorted(found, key=lambda r: urgency(r, now))
    assert {r.tier for r in found} == {Tier.GRID, Tier.COMMUNITY}
    assert any(r.overdue(now) for r in found) and not all(r.overdue(now) for r in found)
