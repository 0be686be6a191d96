"""The one unit-tree picker (handlers/kit/picker.py): the walk's moves, table-driven, and the
presses of every flow that uses it (stale, forged, beyond the presser's reach)."""

from __future__ import annotations

import pytest

from bot.domain.units import Unit, UnitTree
from bot.notices.buttons import parse
from handlers.kit.picker import ascend, descend, move, start_of
from storage.drafts import Draft
from tests.conftest import RESIDENT


def big_tree() -> UnitTree:
    units = [
        Unit("D", "区", "district"),
        Unit("S", "街道", "street", "D"),
        Unit("C", "社区", "community", "S"),
        Unit("G", "网格", "grid", "C"),
    ]
    units += [Unit(f"B{i}", f"{i}栋", "building", "G") for i in range(30)]
    units += [Unit("C2", "二社区", "community", "S"), Unit("G9", "九网格", "grid", "C2")]
    units += [Unit("B99", "99栋", "building", "G9")]
    return UnitTree(units)


def walk_press(
    walk: str | None, data: str, *, top: str | None = None, here: bool = True, skip: bool = True
):
    draft = Draft(RESIDENT, "register", "walk", {"n": "abc", "walk": walk})
    press = parse(data)
    assert press is not None
    return move(big_tree(), draft, press, top, here=here, skip=skip)


def test_a_skipping_walk_passes_over_single_child_levels():
    tree = big_tree()
    assert descend(tree, None) == "S"  # 区 has one child; 街道 has two communities
    assert descend(tree, "C") == "G"  # 社区 has one grid: straight to its buildings
    assert ascend(tree, "G", None, skip=True) == "S"  # and back up past it
    assert start_of(tree, None, skip=True) == "S"
    assert walk_press("S", "place:pick:abc:0") == ("walk", "G", 0)


def test_a_walk_without_skipping_starts_at_the_roots_and_stops_at_every_level():
    tree = big_tree()
    assert start_of(tree, None) is None
    assert ascend(tree, "G", None) == "C"
    assert walk_press(None, "place:pick:abc:0", skip=False) == ("walk", "D", 0)
    assert walk_press("S", "place:pick:abc:0", skip=False) == ("walk", "C", 0)
    assert walk_press("D", "place:up:abc", skip=False) == ("walk", None, 0)
    assert walk_press(None, "place:up:abc", skip=False) is None
    assert walk_press(None, "place:here:abc", skip=False) is None


def test_a_walk_bounded_by_a_unit_starts_there_and_skips_nothing():
    tree = big_tree()
    assert start_of(tree, "C", skip=True) == "C"
    assert ascend(tree, "G", "C", skip=True) == "C"


WALK = [
    # (stands at, press, top, what it does)
    ("G", "place:page:abc:2", None, ("walk", "G", 2)),
    ("G", "place:page:abc:3", None, None),  # 30 buildings make 3 pages
    ("G", "place:pick:abc:29", None, ("done", "B29", 0)),
    ("G", "place:pick:abc:30", None, None),  # no such index
    ("G", "place:pick:abc:-1", None, None),
    ("G", "place:pick:abc:x", None, None),
    ("S", "place:pick:abc:1", None, ("walk", "G9", 0)),  # 二社区 has one grid: skipped
    ("S", "place:up:abc", None, None),  # already at the top
    ("G", "place:up:abc", None, ("walk", "S", 0)),
    ("G", "place:here:abc", None, ("done", "G", 0)),
    ("C", "place:pick:abc:0", "C", ("walk", "G", 0)),
    ("C", "place:up:abc", "C", None),  # the top of the presser's reach
    ("C", "place:here:abc", "C", ("done", "C", 0)),
    ("G", "place:up:abc", "C", ("walk", "C", 0)),
    ("S", "place:pick:abc:0", "C", None),  # the walk stands outside the reach (moved meanwhile)
    ("S", "place:here:abc", "C", None),
    ("G", "place:pick:abc:0", "C2", None),  # a unit outside the presser's reach
    ("G", "place:here:abc", "", None),  # reaches nothing any more
    ("G", "place:gps:abc", None, None),  # not a verb of the walk
]


@pytest.mark.parametrize("walk, data, top, expected", WALK)
def test_a_press_moves_the_walk_only_where_it_fits(walk, data, top, expected):
    assert walk_press(walk, data, top=top) == expected


def test_a_flow_without_here_takes_only_units_without_children():
    assert walk_press("G", "place:here:abc", here=False) is None  # registration needs a building
    assert walk_press("G", "place:pick:abc:0", here=False) == ("done", "B0", 0)
