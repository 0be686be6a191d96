"""The unit tree: validation, ancestry, tiers and the nearest building."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.domain.units import Tier, Unit, UnitError, UnitTree, distance_m

UNITS = [
    Unit("D1", "江岸区", "district"),
    Unit("S1", "青山街道", "street", "D1"),
    Unit("C1", "春晖社区", "community", "S1"),
    Unit("A1", "东片区", "area", "C1"),  # a level an office added between community and grid
    Unit("G1", "第一网格", "grid", "A1"),
    Unit("G2", "第二网格", "grid", "C1"),
    Unit("B1", "1栋", "building", "G1", 30.6000, 114.3000),
    Unit("B2", "2栋", "building", "G1", 30.6010, 114.3010),
    Unit("B3", "3栋", "building", "G2", 30.6100, 114.3100),
    Unit("E1", "1单元", "entrance", "B1"),
]


@pytest.fixture
def tree() -> UnitTree:
    return UnitTree(UNITS)


def test_a_unit_listed_twice_is_refused():
    with pytest.raises(UnitError, match="listed twice"):
        UnitTree([*UNITS, Unit("G2", "又一个", "grid", "C1")])


def test_an_unknown_parent_is_refused():
    with pytest.raises(UnitError, match="unknown parent 'C9'"):
        UnitTree([*UNITS, Unit("G9", "第九网格", "grid", "C9")])


@pytest.mark.parametrize(
    "units",
    [
        [Unit("A", "a", "grid", "A")],
        [Unit("A", "a", "grid", "B"), Unit("B", "b", "community", "A")],
        [
            Unit("R", "r", "district"),
            Unit("A", "a", "grid", "C"),
            Unit("B", "b", "grid", "A"),
            Unit("C", "c", "grid", "B"),
        ],
    ],
    ids=["itself", "two", "three below a root"],
)
def test_a_cycle_is_refused(units):
    with pytest.raises(UnitError, match="cycle"):
        UnitTree(units)


def test_chain_runs_from_the_unit_up_to_the_root(tree):
    assert [u.code for u in tree.chain("E1")] == ["E1", "B1", "G1", "A1", "C1", "S1", "D1"]
    assert [u.code for u in tree.chain("D1")] == ["D1"]


@pytest.mark.parametrize(
    ("code", "ancestor", "within"),
    [("B1", "C1", True), ("B1", "B1", True), ("B3", "A1", False), ("C1", "G1", False)],
)
def test_is_within(tree, code, ancestor, within):
    assert tree.is_within(code, ancestor) is within


@pytest.mark.parametrize(
    ("code", "tier"),
    [
        ("D1", Tier.DISTRICT),
        ("S1", Tier.STREET),
        ("C1", Tier.COMMUNITY),
        ("A1", Tier.COMMUNITY),  # an added level counts as the known level above it
        ("G1", Tier.GRID),
        ("B3", Tier.GRID),  # buildings belong to their grid
        ("E1", Tier.GRID),
    ],
)
def test_tier_of(tree, code, tier):
    assert tree.tier_of(code) is tier


def test_a_root_of_an_unknown_level_counts_as_the_district():
    assert UnitTree([Unit("X", "市", "city")]).tier_of("X") is Tier.DISTRICT


@pytest.mark.parametrize(
    ("code", "tier", "expected"),
    [
        ("B1", Tier.GRID, "G1"),
        ("B1", Tier.COMMUNITY, "C1"),
        ("B1", Tier.STREET, "S1"),
        ("B1", Tier.DISTRICT, "D1"),
        ("C1", Tier.GRID, None),
    ],
)
def test_unit_at_tier(tree, code, tier, expected):
    found = tree.unit_at_tier(code, tier)
    assert (found.code if found else None) == expected


def test_tiers_climb_green_yellow_blue_red():
    assert [t.colour for t in Tier] == ["green", "yellow", "blue", "red"]
    assert [t.above for t in Tier] == [Tier.COMMUNITY, Tier.STREET, Tier.DISTRICT, None]


def test_path_name_leaves_out_the_root(tree):
    assert tree.path_name("B3") == "青山街道 / 春晖社区 / 第二网格 / 3栋"


def test_roots_and_children(tree):
    assert [u.code for u in tree.roots()] == ["D1"]
    assert [u.code for u in tree.children("C1")] == ["A1", "G2"]
    assert tree.children("B3") == []


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [(30.6001, 114.3001, "B1"), (30.6009, 114.3011, "B2"), (30.7, 114.4, "B3")],
)
def test_nearest_building(tree, lat, lon, code):
    found = tree.nearest_building(lat, lon)
    assert found is not None
    unit, metres = found
    assert unit.code == code
    assert metres == pytest.approx(distance_m(lat, lon, unit.lat, unit.lon))


def test_nearest_building_is_none_without_coordinates():
    assert UnitTree([Unit("D1", "区", "district")]).nearest_building(30.0, 114.0) is None


def test_distance_of_one_degree_of_latitude_is_about_111_km():
    assert distance_m(30.0, 114.0, 31.0, 114.0) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(30.0, 114.0, 30.0, 114.0) == 0


def test_from_configs_treats_an_empty_parent_as_none():
    configs = [
        SimpleNamespace(code="D1", name="区", level="district", parent="", lat=None, lon=None),
        SimpleNamespace(code="S1", name="街", level="street", parent="D1", lat=None, lon=None),
    ]
    tree = UnitTree.from_configs(configs)
    assert tree.get("D1").parent is None
    assert len(tree) == 2 and "S1" in tree
