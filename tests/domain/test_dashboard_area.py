"""Who sees which report on the dashboard (bot/domain/dashboard.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.dashboard import area, categories, sees
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, Tier
from bot.domain.units import Unit, UnitTree

TREE = UnitTree(
    [
        Unit("D", "区", "district"),
        Unit("S1", "青山街道", "street", "D"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("G1", "1 号网格", "grid", "C1"),
        Unit("G2", "2 号网格", "grid", "C1"),
        Unit("B1", "1 栋", "building", "G1"),
        Unit("C2", "东湖社区", "community", "S1"),
        Unit("G3", "3 号网格", "grid", "C2"),
    ]
)


def report(unit: str, holder: str, *, category: str = "garbage", assignee: int | None = None):
    return Report(
        reporter_id=1,
        category=category,
        unit=unit,
        description="",
        photos=(),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        holder_unit=holder,
        tier=Tier.GRID,
        assignee_id=assignee,
    )


@pytest.mark.parametrize(
    ("staff", "case", "seen"),
    [
        (Staff(10, "w", Role.GRID_WORKER, "G1"), report("G1", "G1"), True),
        (Staff(10, "w", Role.GRID_WORKER, "G1"), report("G2", "G2"), False),
        (Staff(10, "w", Role.GRID_WORKER, "G1"), report("G2", "C1", assignee=10), True),
        # a case at a building of one's grid, referred up to the community: still one's grid's
        (Staff(10, "w", Role.GRID_WORKER, "G1"), report("B1", "C1"), True),
        (Staff(10, "w", Role.GRID_WORKER, "G2"), report("B1", "G1"), False),
        (Staff(11, "c", Role.COMMUNITY, "C1"), report("G2", "G2"), True),
        (Staff(11, "c", Role.COMMUNITY, "C1"), report("G3", "G3"), False),
        (Staff(11, "c", Role.COMMUNITY, "C1"), report("G3", "C1"), True),  # held here
        (Staff(12, "s", Role.STREET, "S1"), report("G3", "G3"), True),
        (Staff(13, "p", Role.PARTNER, "C1", ("garbage",)), report("G1", "G1"), True),
        (Staff(13, "p", Role.PARTNER, "C1", ("water",)), report("G1", "G1"), False),
        (Staff(13, "p", Role.PARTNER, "C1", ("garbage",)), report("G3", "G3"), False),
        (Staff(14, "a", Role.ADMIN, "D"), report("G3", "G3", category="x"), True),
    ],
)
def test_sees(staff: Staff, case: Report, seen: bool) -> None:
    assert sees(staff, case, TREE) is seen


def test_area_and_categories() -> None:
    assert area(Staff(1, "a", Role.ADMIN, "D"), TREE) is None
    assert area(Staff(1, "w", Role.GRID_WORKER, "G1"), TREE) == {"G1", "B1"}
    assert area(Staff(1, "c", Role.COMMUNITY, "C1"), TREE) == {"C1", "G1", "G2", "B1"}
    assert categories(Staff(1, "p", Role.PARTNER, "C1", ("water",))) == {"water"}
    assert categories(Staff(1, "c", Role.COMMUNITY, "C1")) is None
