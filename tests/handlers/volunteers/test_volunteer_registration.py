"""/volunteer registration step by step, community approval in chat, and /volunteers for staff."""

from __future__ import annotations

from bot.domain.volunteers import VolunteerStatus
from tests import updates
from tests.conftest import COMMUNITY, STREET, WORKER_G1
from tests.handlers.kit.picking import choose_here, stands_at, walk
from tests.handlers.volunteers.support import (
    VOLUNTEER_B,
    VOLUNTEER_C,
    all_text,
    answers,
    person,
    volunteer,
)

NEWCOMER = 7001


async def register_newcomer(harness) -> None:
    await person(harness, NEWCOMER, "刘志愿", unit="B1")
    await harness.send(updates.text(NEWCOMER, "/volunteer"))
    assert "姓名" in harness.last_text(NEWCOMER)
    await harness.send(updates.text(NEWCOMER, "刘志愿"))
    assert "联系电话" in harness.last_text(NEWCOMER)
    await harness.send(updates.text(NEWCOMER, "13812345678"))
    await harness.send(updates.press(NEWCOMER, "volreg:skill:repair"))
    await harness.send(updates.press(NEWCOMER, "volreg:skill:medical"))
    await harness.send(updates.press(NEWCOMER, "volreg:skills_done"))
    await harness.send(updates.press(NEWCOMER, "volreg:team:red"))
    await harness.send(updates.press(NEWCOMER, "volreg:avail:weekend"))
    await harness.send(updates.press(NEWCOMER, "volreg:avail_done"))
    await harness.send(updates.press(NEWCOMER, harness.button(NEWCOMER, "place:home:")))  # 1栋
    await harness.send(updates.press(NEWCOMER, "volreg:party:1"))
    await harness.send(updates.text(NEWCOMER, "市自来水公司"))
    assert "市自来水公司" in harness.last_text(NEWCOMER)
    await harness.send(updates.press(NEWCOMER, "volreg:submit"))


async def test_a_resident_registers_and_community_staff_approve_in_chat(harness):
    await register_newcomer(harness)
    stored = await harness.services.store.volunteers.get(NEWCOMER)
    assert stored is not None
    assert stored.status is VolunteerStatus.PENDING
    assert stored.skills == ("repair", "medical")
    assert (stored.team, stored.availability, stored.unit) == ("red", ("weekend",), "B1")
    assert stored.party_member and stored.work_unit == "市自来水公司"
    assert stored.phone == "13812345678"
    # The newcomer is told who reviews it: the community whose staff get the decision card.
    assert "等待春晖社区工作人员审核" in harness.last_text(NEWCOMER)
    # The community's staff decide; the card shows the phone to them.
    assert "13812345678" in harness.last_text(COMMUNITY)
    approve = harness.button(COMMUNITY, f"vol:ok:{NEWCOMER}")

    await harness.send(updates.press(COMMUNITY, approve))
    assert (await harness.services.store.volunteers.get(NEWCOMER)).is_approved
    assert "已通过" in harness.last_text(NEWCOMER)
    assert "已通过（陈社区）" in harness.last_text(COMMUNITY)
    assert harness.buttons(COMMUNITY) == []  # the card lost its buttons

    await harness.send(updates.press(COMMUNITY, approve))
    assert answers(harness)[-1] == "这份报名已经处理过了。"


async def test_a_grid_worker_cannot_decide_and_a_forged_decision_changes_nothing(harness):
    await register_newcomer(harness)
    await harness.send(updates.press(WORKER_G1, f"vol:ok:{NEWCOMER}"))
    assert answers(harness)[-1] == "您没有权限进行此操作。"
    await harness.send(updates.press(NEWCOMER, f"vol:ok:{NEWCOMER}"))
    await harness.send(updates.press(COMMUNITY, "vol:ok:notanumber"))
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    stored = await harness.services.store.volunteers.get(NEWCOMER)
    assert stored.status is VolunteerStatus.PENDING


async def test_bad_input_keeps_the_step_and_stale_buttons_are_refused(harness):
    await person(harness, NEWCOMER, "刘志愿", unit="B1")
    await harness.send(updates.text(NEWCOMER, "/volunteer"))
    await harness.send(updates.text(NEWCOMER, "x" * 40))
    assert "32" in harness.last_text(NEWCOMER)
    await harness.send(updates.text(NEWCOMER, "刘志愿"))
    await harness.send(updates.text(NEWCOMER, "call me maybe"))
    assert "不像是电话号码" in harness.last_text(NEWCOMER)
    await harness.send(updates.text(NEWCOMER, "跳过"))
    await harness.send(updates.press(NEWCOMER, "volreg:skills_done"))
    assert answers(harness)[-1] == "请至少选择一项技能，或输入您的技能。"
    await harness.send(updates.text(NEWCOMER, "会修自行车"))
    await harness.send(updates.press(NEWCOMER, "volreg:team:red"))  # not at the team step yet
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    await harness.send(updates.press(NEWCOMER, "volreg:skills_done"))
    await harness.send(updates.press(NEWCOMER, "volreg:team:nonsense"))
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    draft = await harness.services.drafts.get(NEWCOMER)
    assert (draft.step, draft.data["note"], draft.data["phone"]) == ("team", "会修自行车", None)


async def test_the_home_unit_is_chosen_by_walking_the_tree(harness):
    await person(harness, NEWCOMER, "刘志愿")  # no registered place
    draft_data = {
        "card": "volreg:1",
        "name": "刘",
        "phone": None,
        "skills": ["repair"],
        "avail": ["weekend"],
        "team": None,
    }
    from storage.drafts import Draft

    await harness.services.drafts.put(
        Draft(NEWCOMER, "volunteer", "avail", draft_data), harness.clock()
    )
    await harness.send(updates.press(NEWCOMER, "volreg:avail_done"))
    await harness.send(updates.press(NEWCOMER, "volreg:walk:D1"))  # the walk before the picker
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    await walk(harness, NEWCOMER, "江岸区", "青山街道", "春晖社区", "第二网格", "3栋")
    draft = await harness.services.drafts.get(NEWCOMER)
    assert (draft.step, draft.data["unit"]) == ("party", "B3")


async def test_staff_list_volunteers_of_their_area_filtered_by_skill(harness):
    await volunteer(harness, VOLUNTEER_B, "王修理", "B2", skills=("repair",))
    await volunteer(harness, VOLUNTEER_C, "赵护理", "B3", skills=("medical",))
    await harness.send(updates.text(COMMUNITY, "/volunteers"))
    listing = harness.last_text(COMMUNITY)
    assert "王修理" in listing and "赵护理" in listing and "共 2 人" in listing

    await harness.send(updates.press(COMMUNITY, "vols:fs:0:-:-:C1"))
    medical = harness.button(COMMUNITY, "vols:l:0:2:")  # skills[2] is medical
    await harness.send(updates.press(COMMUNITY, medical))
    listing = harness.last_text(COMMUNITY)
    assert "赵护理" in listing and "王修理" not in listing

    # A grid worker sees only their own grid, and cannot widen it by forging the unit.
    await harness.send(updates.text(WORKER_G1, "/volunteers"))
    assert "王修理" in harness.last_text(WORKER_G1) and "赵护理" not in harness.last_text(WORKER_G1)
    await harness.send(updates.press(WORKER_G1, "vols:l:0:-:-:C1"))
    assert answers(harness)[-1] == "您没有权限进行此操作。"
    assert "赵护理" not in all_text(harness, WORKER_G1)


async def test_residents_cannot_list_volunteers(harness):
    await person(harness, NEWCOMER, "刘志愿", unit="B1")
    await harness.send(updates.text(NEWCOMER, "/volunteers"))
    assert harness.last_text(NEWCOMER) == "此功能仅供工作人员使用。"
    assert STREET  # the street's staff see everything below S1 (covered by may_manage tests)


async def test_staff_narrow_the_list_to_a_unit_with_the_one_picker(harness):
    await volunteer(harness, VOLUNTEER_B, "王修理", "B2", skills=("repair",))
    await volunteer(harness, VOLUNTEER_C, "赵护理", "B3", skills=("medical",))
    await harness.send(updates.text(COMMUNITY, "/volunteers"))
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "vols:fu:")))
    assert await stands_at(harness, COMMUNITY) == "C1"  # the walk starts at their community
    await walk(harness, COMMUNITY, "第二网格")
    await choose_here(harness, COMMUNITY)
    listing = harness.last_text(COMMUNITY)
    assert "赵护理" in listing and "王修理" not in listing and "共 1 人" in listing
    assert await harness.services.drafts.get(COMMUNITY) is None
    # a building without volunteers is chosen by its press (a unit without children)
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "vols:fu:")))
    await walk(harness, COMMUNITY, "第一网格", "1栋")
    assert "共 0 人" in harness.last_text(COMMUNITY)


async def test_a_forged_press_beyond_the_workers_grid_does_not_widen_the_list(harness):
    await volunteer(harness, VOLUNTEER_C, "赵护理", "B3", skills=("medical",))
    await harness.send(updates.text(WORKER_G1, "/volunteers"))
    await harness.send(updates.press(WORKER_G1, harness.button(WORKER_G1, "vols:fu:")))
    assert await stands_at(harness, WORKER_G1) == "G1"
    assert not any(data.startswith("place:up:") for _, data in harness.buttons(WORKER_G1))
    nonce = (await harness.services.drafts.get(WORKER_G1)).data["n"]
    for data in (f"place:up:{nonce}", f"place:pick:{nonce}:5"):  # to 春晖社区; no such unit
        await harness.send(updates.press(WORKER_G1, data))
        assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    assert await stands_at(harness, WORKER_G1) == "G1"
    assert "赵护理" not in all_text(harness, WORKER_G1)
