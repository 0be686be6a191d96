"""What the care, visit, patrol and monthly handler tests share: a sibling community in the
test office, an approved volunteer, and a household registered straight through storage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.domain import care
from bot.domain.care import Cadence, Household, VisitorKind
from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.usecases.care import care_policy
from storage.care import Households
from storage.volunteers import Volunteers
from tests.conftest import DATA, Harness

SIBLING_COMMUNITY = 202  # staff of 朝阳社区 (C2), a sibling of 春晖社区 (C1)
WORKER_G3 = 104  # grid worker in C2
VOLUNTEER = 6001  # approved, lives in B2 (C1)
VOLUNTEER_ELSEWHERE = 6002  # approved, lives in B4 (C2)
NOTES = "糖尿病，独居，女儿电话 13800000000"

EXTRA = """
[[units]]
code = "C2"
name = "朝阳社区"
level = "community"
parent = "S1"

[[units]]
code = "G3"
name = "第三网格"
level = "grid"
parent = "C2"

[[units]]
code = "B4"
name = "4栋"
level = "building"
parent = "G3"

[[staff]]
telegram_id = 202
name = "刘社区"
role = "community"
unit = "C2"

[[staff]]
telegram_id = 104
name = "孙网格"
role = "grid_worker"
unit = "G3"
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The test office with a second community (C2 → G3 → B4) and its staff."""
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    with path.open("a", encoding="utf-8") as file:
        file.write(EXTRA)
    return path


async def approve_volunteer(harness: Harness, user_id: int, unit: str, name: str) -> None:
    volunteers = Volunteers(harness.services.store.db)
    at = harness.clock()
    volunteer = Volunteer(user_id, name, unit, skills=("companion",))
    await volunteers.register(volunteer, at, [])
    approved = Volunteer(
        user_id, name, unit, status=VolunteerStatus.APPROVED, decided_by=201, decided_at=at
    )
    assert await volunteers.decide(approved, at, [])


async def add_household(
    harness: Harness,
    *,
    unit: str = "B1",
    visitor: int = 101,
    visitor_kind: VisitorKind = VisitorKind.STAFF,
    cadence: Cadence = Cadence.WEEKLY,
    kind: str = "empty_nest",
    label: str = "3单元502",
) -> Household:
    """Registers a household as staff of C1 would, without walking the buttons."""
    household = care.register(
        kind=kind,
        unit=unit,
        label=label,
        cadence=cadence,
        visitor_id=visitor,
        visitor_kind=visitor_kind,
        notes=NOTES,
        by=201,
        at=harness.clock(),
        policy=care_policy(harness.services),
    )
    return await Households(harness.services.store.db).create(household, [], clear_draft_of=201)


def households(harness: Harness) -> Households:
    return Households(harness.services.store.db)


def everything_sent_to(harness: Harness, chat_id: int) -> str:
    """Returns every parameter of every call made to CHAT_ID, as one text (texts, buttons …)."""
    return "\n".join(repr(call.params) for call in harness.request.sent(chat_id=chat_id))


async def choose_unit(harness: Harness, user_id: int, *path: int) -> None:
    """Walks the unit picker (handlers/kit/picker.py) down by the child indices of PATH, then
    chooses the unit it stands at (a unit without children is chosen by its own button)."""
    from tests import updates

    for index in path:
        data = harness.button(user_id, "place:pick:").rsplit(":", 1)[0]
        await harness.send(updates.press(user_id, f"{data}:{index}"))
    draft = await harness.services.drafts.get(user_id)
    if draft is not None and draft.step == "walk":
        await harness.send(updates.press(user_id, harness.button(user_id, "place:here:")))
