"""1+1+1+N teams through the real Application: /teamreport's questions, /teamreports, /building
with its party member buttons, /grid's 公示 of the party member, and forged presses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.notices.staff import COMMANDS
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, DATA, HEAD_G1, RESIDENT, WORKER_G1
from tests.handlers.reports.test_submit_flow import press, registered
from tests.handlers.staff.test_command_menu import menus
from tests.usecases.support import approved_volunteer
from tests.usecases.test_teams import BUILDING_HEAD, PART_TIMER, PARTY, TEAM, _party


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((DATA / "config.toml").read_text(encoding="utf-8") + TEAM, encoding="utf-8")
    return path


async def refusals(harness) -> list[tuple]:
    rows = await harness.services.store.db.fetchall("SELECT user_id, action, rule FROM refusals")
    return [tuple(row) for row in rows]


async def say(harness, user_id: int, text: str) -> str:
    await harness.send(updates.text(user_id, text))
    return harness.last_text(user_id)


async def test_a_building_head_answers_the_monthly_questions_and_a_bad_number_is_asked_again(
    harness,
):
    await harness.services.people.touch(BUILDING_HEAD, "楼长钱", "zh", harness.clock())
    await harness.send(updates.text(BUILDING_HEAD, "/teamreport"))
    assert "1/4" in harness.last_text(BUILDING_HEAD) and "走访户数" in harness.last_text(
        BUILDING_HEAD
    )
    assert "整数" in await say(harness, BUILDING_HEAD, "十二户")  # the step stays
    assert "2/4" in await say(harness, BUILDING_HEAD, "１２")
    await press(harness, BUILDING_HEAD, "teamrep:start")  # the reminder pressed again midway
    assert "2/4" in harness.last_text(BUILDING_HEAD)  # the answer so far is kept
    assert "3/4" in await say(harness, BUILDING_HEAD, "3号楼道堆物")
    assert "4/4" in await say(harness, BUILDING_HEAD, "1")
    receipt = await say(harness, BUILDING_HEAD, "无")
    assert "已提交" in receipt and "12" in receipt and "3号楼道堆物" in receipt
    assert await harness.services.drafts.get(BUILDING_HEAD) is None
    assert "已提交过" in await say(harness, BUILDING_HEAD, "/teamreport")
    await press(harness, BUILDING_HEAD, "teamrep:start")  # the reminder's old button
    assert "已提交过" in harness.last_text(BUILDING_HEAD)

    await harness.services.people.touch(HEAD_G1, "赵网格长", "zh", harness.clock())
    listing = await say(harness, HEAD_G1, "/teamreports")
    assert "楼长钱" in listing and "3号楼道堆物" in listing and "单元长孙" in listing
    assert "年-月" in await say(harness, HEAD_G1, "/teamreports 上个月")


async def test_staff_who_owe_no_report_and_residents_are_refused_and_recorded(harness):
    await registered(harness)
    await harness.services.people.touch(WORKER_G1, "李网格", "zh", harness.clock())
    await press(harness, RESIDENT, "teamrep:start")  # forged: residents owe none
    await harness.send(updates.text(WORKER_G1, "/teamreport"))
    await harness.send(updates.text(WORKER_G1, "/teamreports"))
    await press(harness, RESIDENT, "teamrep:page:2026-11:0")
    assert await harness.services.drafts.get(RESIDENT) is None
    assert set(await refusals(harness)) == {
        (RESIDENT, "/teamreport", "team_report"),
        (WORKER_G1, "/teamreport", "team_report"),
        (WORKER_G1, "/teamreports", "team_reports"),
        (RESIDENT, "/teamreports", "team_reports"),
    }


async def test_community_staff_link_a_party_member_from_building_and_grid_shows_them(harness):
    services = harness.services
    services.settings.teams.public_party_member = True
    await registered(harness)
    await approved_volunteer(services, PARTY, "党员甲", "B1")
    await _party(services, PARTY)
    await services.people.touch(COMMUNITY, "陈社区", "zh", harness.clock())
    assert "B1" in await say(harness, COMMUNITY, "/building")  # the usage example
    assert "没有找到楼栋" in await say(harness, COMMUNITY, "/building G1")
    card = await say(harness, COMMUNITY, "/building B1")
    assert "楼长钱" in card and "单元长孙" in card and "兼职周" in card and "李网格" in card
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "bldg:pick:B1:"))
    await press(harness, WORKER_G1, f"bldg:set:B1:{PARTY}")  # forged by a grid worker
    assert (WORKER_G1, "bldg:set", "team_link") in await refusals(harness)
    assert await services.store.teams.link_of("B1") is None
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"bldg:set:B1:{PARTY}"))
    assert "党员甲" in harness.last_text(COMMUNITY)
    assert "联系党员" in harness.last_text(PARTY)
    assert "党员甲" in await say(harness, RESIDENT, "/grid")
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"bldg:unset:B1:{PARTY}"))
    assert "已解除" in harness.texts_to(COMMUNITY)[-2]
    assert "不再是" in harness.last_text(PARTY)
    await press(harness, COMMUNITY, f"bldg:unset:B1:{PARTY}")  # a second press
    assert "失效" in harness.last_text(COMMUNITY)
    assert "党员甲" not in await say(harness, RESIDENT, "/grid")
    await press(harness, COMMUNITY, "bldg:set:B1:notanumber")
    assert "失效" in harness.last_text(COMMUNITY)


async def test_an_invite_puts_a_building_head_on_a_building_only(harness):
    await harness.services.people.touch(ADMIN, "管理员", "zh", harness.clock())
    refused = await say(harness, ADMIN, "/invite building_head G1")
    assert "楼栋" in refused and "t.me" not in refused
    created = await say(harness, ADMIN, "/invite 楼栋长 B1")
    assert "t.me" in created


@pytest.mark.parametrize("user", [BUILDING_HEAD, PART_TIMER])
async def test_a_helpers_menu_and_help_name_their_own_commands_and_none_they_would_be_refused(
    harness, user
):
    await harness.send(updates.text(user, "/lang zh"))
    await harness.send(updates.text(user, "/help"))
    shown = harness.last_text(user)
    [(_, names)] = menus(harness, user)
    role = (await harness.services.people.staff(user)).role
    mine = [n for n, _, who in COMMANDS if role in who]
    assert "teamreport" in mine and [f"/{n}" for n in mine if f"/{n}" not in shown] == []
    assert set(mine) <= set(names)
    for refused in ("web", "visits", "broadcast", "volunteers", "export", "appraisal", "building"):
        assert refused not in names and f"/{refused} " not in shown
    assert ("tasks" in names) is (user == PART_TIMER)
