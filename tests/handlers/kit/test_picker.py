"""The one unit-tree picker (handlers/kit/picker.py): the walk's moves, table-driven, and the
presses of every flow that uses it (stale, forged, beyond the presser's reach)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.units import Unit, UnitTree
from bot.notices.buttons import parse
from handlers.kit.picker import ascend, descend, move, start_of
from storage.drafts import Draft
from tests import updates
from tests.conftest import ADMIN, RESIDENT, RESIDENT_2, WORKER_G1


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


# Presses through the real Application ------------------------------------------------------

STALE = "这个按钮已失效，请使用最新的消息。"


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


def last_answer(harness) -> str | None:
    return harness.request.sent("answerCallbackQuery")[-1].params.get("text")


async def walk_of(harness, user_id: int) -> tuple[str, str, str | None]:
    draft = await harness.services.drafts.get(user_id)
    assert draft is not None
    return draft.flow, draft.step, draft.data.get("walk")


async def test_a_press_with_an_old_nonce_is_stale_and_changes_nothing(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    first = harness.button(RESIDENT, "place:pick:")  # 第一网格
    await press(harness, RESIDENT, first)
    assert await walk_of(harness, RESIDENT) == ("register", "walk", "G1")
    old = first.split(":")[2]
    for data in (f"place:pick:{old}:0", f"place:up:{old}", f"place:page:{old}:0"):
        await press(harness, RESIDENT, data)
        assert last_answer(harness) == STALE
    assert await walk_of(harness, RESIDENT) == ("register", "walk", "G1")
    assert (await harness.services.people.get(RESIDENT)).unit is None


async def test_registration_takes_no_here_and_no_home_even_forged(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:pick:"))  # 第一网格
    assert not any(d.startswith("place:here:") for _, d in harness.buttons(RESIDENT))
    n = (await harness.services.drafts.get(RESIDENT)).data["n"]
    for data in (f"place:here:{n}", f"place:home:{n}", f"place:jump:{n}:B3"):
        await press(harness, RESIDENT, data)
        assert last_answer(harness) == STALE
    assert await walk_of(harness, RESIDENT) == ("register", "walk", "G1")


async def test_a_walk_is_bounded_by_the_reach_read_again_on_every_press(harness):
    await harness.send(updates.text(WORKER_G1, "/patrol"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "patrol:kind:"))
    assert await walk_of(harness, WORKER_G1) == ("patrol", "walk", "G1")
    assert not any(d.startswith("place:up:") for _, d in harness.buttons(WORKER_G1))
    n = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    await press(harness, WORKER_G1, f"place:up:{n}")  # above their own grid: forged
    assert last_answer(harness) == STALE
    # Moved to the other grid meanwhile: the walk at G1 is out of their reach now.
    worker = await harness.services.people.staff(WORKER_G1)
    await harness.services.people.change(worker, replace(worker, unit="G2"), ADMIN, harness.clock())
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:here:"))
    assert last_answer(harness) == STALE
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))  # 1栋, in G1
    assert last_answer(harness) == STALE
    assert await walk_of(harness, WORKER_G1) == ("patrol", "walk", "G1")
    assert await harness.services.store.db.fetchall("SELECT id FROM patrols") == []


async def test_a_place_press_in_a_flow_without_a_picker_is_stale(harness):
    draft = Draft(WORKER_G1, "visit", "walk", {"n": "abc", "walk": "G1", "card": "walk:abc"})
    await harness.services.drafts.put(draft, harness.clock())
    await press(harness, WORKER_G1, "place:here:abc")
    assert last_answer(harness) == STALE
    assert (await harness.services.drafts.get(WORKER_G1)).step == "walk"


async def test_someone_elses_press_on_a_walk_is_refused(harness):
    await harness.send(updates.text(RESIDENT, "/start"))
    data = harness.button(RESIDENT, "place:pick:")
    await harness.send(updates.press(RESIDENT_2, data, chat_id=RESIDENT))
    assert last_answer(harness) == "您没有权限进行此操作。"
    assert await walk_of(harness, RESIDENT) == ("register", "walk", "C1")


async def test_a_second_press_of_the_chosen_unit_is_stale(harness):
    await harness.send(updates.text(WORKER_G1, "/patrol"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "patrol:kind:"))
    here = harness.button(WORKER_G1, "place:here:")
    await press(harness, WORKER_G1, here)
    draft = await harness.services.drafts.get(WORKER_G1)
    assert (draft.step, draft.data["unit"]) == ("note", "G1")
    await press(harness, WORKER_G1, here)
    assert last_answer(harness) == STALE
    assert (await harness.services.drafts.get(WORKER_G1)).step == "note"
