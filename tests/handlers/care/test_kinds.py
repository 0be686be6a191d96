"""Household kinds from [[care.kinds]] in chat: /household offers them by group and proposes the
kind's cadence; a kind that left the configuration cannot be chosen, and its households keep
working, shown by their code, in /households and /monthly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.domain import care
from bot.domain.care import Outcome, Visit, VisitorKind
from bot.usecases.care import care_policy
from tests import updates
from tests.conftest import COMMUNITY, DATA, WORKER_G1
from tests.handlers.care.support import add_household, choose_unit, households

KINDS = """
[[care.kinds]]
code = "empty_nest"
zh = "空巢"
en = "Empty nest"
cadence = "weekly"
group = "五必访"

[[care.kinds]]
code = "lone_elder"
zh = "孤寡老人"
en = "Elder living alone"
cadence = "fortnightly"
group = "四进四访"

[[care.kinds]]
code = "retiree"
zh = "离退休人员"
en = "Retiree"
cadence = "quarterly"
group = "四进四访"
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    with path.open("a", encoding="utf-8") as file:
        file.write(KINDS)
    return path


async def press(harness, user_id, data):
    await harness.send(updates.press(user_id, data))


async def test_household_offers_the_configured_kinds_by_group_and_proposes_the_kinds_cadence(
    harness,
):
    await harness.send(updates.text(COMMUNITY, "/household"))
    asked = harness.last_text(COMMUNITY)
    assert "<b>五必访</b>：空巢" in asked and "<b>四进四访</b>：孤寡老人、离退休人员" in asked
    assert [data for _, data in harness.buttons(COMMUNITY)] == [
        "household:kind:empty_nest",
        "household:kind:lone_elder",
        "household:kind:retiree",
    ]
    await press(harness, COMMUNITY, "household:kind:lone_elder")
    await choose_unit(harness, COMMUNITY, 0, 0)
    await harness.send(updates.text(COMMUNITY, "5单元101"))
    cadences = harness.buttons(COMMUNITY)
    assert cadences[0] == ("⭐ 每两周（建议）", "household:cad:fortnightly")
    assert len(cadences) == 4
    await press(harness, COMMUNITY, "household:cad:fortnightly")
    await press(harness, COMMUNITY, f"household:vis:{WORKER_G1}")
    await press(harness, COMMUNITY, "household:skip")

    [stored] = await households(harness).within(["B1"])
    assert (stored.kind, stored.label) == ("lone_elder", "5单元101")
    assert "孤寡老人" in harness.last_text(WORKER_G1)  # the visitor's brief names the kind


async def test_a_kind_no_longer_configured_cannot_be_chosen_and_nothing_is_stored(harness):
    await harness.send(updates.text(COMMUNITY, "/household"))
    await press(harness, COMMUNITY, "household:kind:illness")  # forged, or from an old config

    assert "该类型已不再登记新户" in harness.last_text(COMMUNITY)
    assert await harness.services.drafts.get(COMMUNITY) is None
    assert await households(harness).within(["B1", "B2", "B3"]) == []


async def test_households_of_a_removed_kind_keep_working_shown_by_their_code(harness):
    old = await add_household(harness, kind="illness", label="7单元301")
    record = Visit(
        old.id or 0, WORKER_G1, VisitorKind.STAFF, harness.clock(), Outcome.MET, old.due_on
    )
    after = care.log_visit(old, record, care_policy(harness.services))
    await households(harness).log_visit(old, after, record, lambda v: [], clear_draft_of=0)

    await harness.send(updates.text(COMMUNITY, "/households"))
    assert "illness" in harness.last_text(COMMUNITY) and "7单元301" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/monthly"))
    assert "illness：走访 1 次（见到本人 1）" in harness.last_text(COMMUNITY)
