"""核实 and 复查 in storage, on SQLite and PostgreSQL: the category flags round-trip, and the
reports waiting for a check or a review are found at their units, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import reports as domain
from bot.domain.categories import Category
from bot.domain.reports import Report, Status
from bot.domain.units import Tier, Unit
from storage.reports import Reports
from storage.units import Units

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
UNITS = [Unit("C1", "社区", "community"), Unit("G1", "一网格", "grid", "C1")]


async def add(db, status: Status, holder: str = "G1") -> Report:
    report = Report(
        reporter_id=5001,
        category="litter",
        unit="G1",
        description="垃圾",
        photos=("p1",),
        created_at=NOW,
        holder_unit=holder,
        tier=Tier.GRID,
        status=status,
    )
    return await Reports(db).insert(report, domain.submit(report, actor_id=5001, at=NOW))


async def test_category_flags_round_trip(db):
    units = Units(db)
    await units.replace_from_config(
        UNITS,
        [
            Category("litter", "环境卫生", "Litter", verify=True, review=False),
            Category("road", "道路", "Roads", verify=False, review=True),
            Category("other", "其他", "Other"),
        ],
    )
    found = {c.code: (c.verify, c.review) for c in await Units(db).categories()}
    assert found == {"litter": (True, False), "road": (False, True), "other": (False, False)}


async def test_gated_at_finds_the_reports_waiting_for_a_check_or_a_review(db):
    await Units(db).replace_from_config(UNITS, [Category("litter", "环境卫生", "Litter")])
    checking = await add(db, Status.CHECKING)
    await add(db, Status.OPEN)
    reviewing = await add(db, Status.REVIEWING)
    elsewhere = await add(db, Status.CHECKING, holder="C1")
    found = await Reports(db).gated_at(["G1"])
    assert [(r.id, r.status) for r in found] == [
        (checking.id, Status.CHECKING),
        (reviewing.id, Status.REVIEWING),
    ]
    both = await Reports(db).gated_at(["G1", "C1"], limit=2)
    assert [r.id for r in both] == [checking.id, reviewing.id]
    assert [r.id for r in await Reports(db).gated_at(["C1"])] == [elsewhere.id]
    assert await Reports(db).gated_at([]) == []
