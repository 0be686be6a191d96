"""Routing is data: (unit, category) → staff, walking up the tree; refer up; transfer targets."""

from __future__ import annotations

import pytest

from bot.domain.people import Role, Staff
from bot.domain.routing import Route, refer_target, route, transfer_targets
from bot.domain.units import Tier, Unit, UnitTree

TREE = UnitTree(
    [
        Unit("D1", "江岸区", "district"),
        Unit("S1", "青山街道", "street", "D1"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("C2", "朝阳社区", "community", "S1"),
        Unit("G1", "第一网格", "grid", "C1"),
        Unit("G2", "第二网格", "grid", "C1"),
        Unit("G3", "第三网格", "grid", "C1"),  # nobody works here
        Unit("G4", "第四网格", "grid", "C2"),  # nor here, nor in its community
        Unit("B1", "1栋", "building", "G1"),
        Unit("B3", "3栋", "building", "G2"),
        Unit("B5", "5栋", "building", "G3"),
        Unit("B7", "7栋", "building", "G4"),
    ]
)

WORKER_G1 = Staff(101, "李网格", Role.GRID_WORKER, "G1")
ROADS_G1 = Staff(105, "路灯维修", Role.PARTNER, "G1", ("road",))
HEAD_G1 = Staff(103, "赵网格长", Role.GRID_HEAD, "G1")
WORKER_G2 = Staff(102, "王网格", Role.GRID_WORKER, "G2")
COMMUNITY = Staff(201, "陈社区", Role.COMMUNITY, "C1")
PROPERTY = Staff(401, "春晖物业", Role.PARTNER, "C1", ("property",))
STREET = Staff(301, "周街道", Role.STREET, "S1")
DISTRICT = Staff(501, "区指挥中心", Role.DISTRICT, "D1")
ADMIN = Staff(901, "管理员", Role.ADMIN, "D1")
STAFF = [WORKER_G1, ROADS_G1, HEAD_G1, WORKER_G2, COMMUNITY, PROPERTY, STREET, DISTRICT, ADMIN]


@pytest.mark.parametrize(
    ("unit", "category", "start_level", "expected"),
    [
        # The unit's grid worker.
        ("B1", "litter", None, Route("G1", Tier.GRID, WORKER_G1)),
        ("G1", "litter", None, Route("G1", Tier.GRID, WORKER_G1)),
        ("B3", "litter", None, Route("G2", Tier.GRID, WORKER_G2)),
        # A specialist for the category at the unit comes before its grid worker.
        ("B1", "road", None, Route("G1", Tier.GRID, ROADS_G1)),
        # Walking up: the grid worker is found before the community's property company.
        ("B1", "property", None, Route("G1", Tier.GRID, WORKER_G1)),
        ("C1", "property", None, Route("C1", Tier.COMMUNITY, PROPERTY)),
        # Nobody takes it on the way up: unassigned at the nearest unit with staff.
        ("B5", "litter", None, Route("C1", Tier.COMMUNITY, None)),
        ("B7", "litter", None, Route("S1", Tier.STREET, None)),
        # A category's route_level hint starts routing at that level.
        ("B1", "dispute", "community", Route("C1", Tier.COMMUNITY, None)),
        ("B1", "property", "community", Route("C1", Tier.COMMUNITY, PROPERTY)),
        ("B1", "litter", "street", Route("S1", Tier.STREET, None)),
        # A hint for a level not in the chain is ignored.
        ("B1", "litter", "area", Route("G1", Tier.GRID, WORKER_G1)),
    ],
)
def test_route(unit, category, start_level, expected):
    assert route(unit, category, TREE, STAFF, start_level=start_level) == expected


def test_route_never_assigns_an_admin_and_falls_back_to_the_top_unit():
    assert route("B1", "litter", TREE, [ADMIN]) == Route("D1", Tier.DISTRICT, None)


def test_route_picks_the_lowest_user_id_among_equals():
    other = Staff(99, "新网格员", Role.GRID_WORKER, "G1")
    assert route("B1", "litter", TREE, [*STAFF, other]).assignee == other


@pytest.mark.parametrize(
    ("holder", "category", "staff", "expected"),
    [
        # Grid → community: held unassigned for its staff, unless a specialist takes it.
        ("G1", "litter", STAFF, Route("C1", Tier.COMMUNITY, None)),
        ("G1", "property", STAFF, Route("C1", Tier.COMMUNITY, PROPERTY)),
        ("B1", "litter", STAFF, Route("C1", Tier.COMMUNITY, None)),
        # Community → street → district.
        ("C1", "litter", STAFF, Route("S1", Tier.STREET, None)),
        ("S1", "litter", STAFF, Route("D1", Tier.DISTRICT, None)),
        # A tier whose unit has no staff is skipped.
        ("G4", "litter", STAFF, Route("S1", Tier.STREET, None)),
        # At the top, or with only an admin above, there is nowhere to refer to.
        ("D1", "litter", STAFF, None),
        ("S1", "litter", [s for s in STAFF if s is not DISTRICT], None),
        # A partner of another category does not make a unit staffed.
        ("G1", "litter", [WORKER_G1, PROPERTY, STREET], Route("S1", Tier.STREET, None)),
    ],
)
def test_refer_target(holder, category, staff, expected):
    assert refer_target(holder, TREE, staff, category) == expected


@pytest.mark.parametrize(
    ("holder", "presser", "assignee", "expected"),
    [
        # Same unit, then sibling units, by user id; never the presser, assignee or an admin.
        ("G1", 101, 101, [HEAD_G1, ROADS_G1, WORKER_G2]),
        ("G1", 103, 101, [ROADS_G1, WORKER_G2]),
        ("G2", 102, 102, [WORKER_G1, HEAD_G1, ROADS_G1]),
        ("G2", 201, None, [WORKER_G2, WORKER_G1, HEAD_G1, ROADS_G1]),
        # A community's siblings are the other communities of its street (C2 has nobody).
        ("C1", 201, None, [PROPERTY]),
        ("S1", 301, 301, []),
        ("D1", 501, None, []),
    ],
)
def test_transfer_targets(holder, presser, assignee, expected):
    found = transfer_targets(holder, TREE, STAFF, presser=presser, assignee=assignee)
    assert found == expected
