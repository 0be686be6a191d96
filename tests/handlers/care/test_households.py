"""Staff register, list, edit and deactivate 五必访 households; notes stay with staff above."""

from datetime import date

from bot.app import COMMANDS
from bot.domain.care import Cadence, VisitorKind
from tests import updates
from tests.conftest import COMMUNITY, HEAD_G1, PROPERTY, RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.care.support import (
    NOTES,
    SIBLING_COMMUNITY,
    VOLUNTEER,
    VOLUNTEER_ELSEWHERE,
    add_household,
    approve_volunteer,
    choose_unit,
    config_path,  # noqa: F401  (the office with a sibling community)
    everything_sent_to,
    households,
)


async def press(harness, user_id, data):
    await harness.send(updates.press(user_id, data))


async def test_staff_register_a_household_and_its_visitor_is_told_without_the_notes(harness):
    await approve_volunteer(harness, VOLUNTEER, "B2", "王阿姨")
    await approve_volunteer(harness, VOLUNTEER_ELSEWHERE, "B4", "外社区志愿者")
    await harness.send(updates.text(COMMUNITY, "/household"))
    assert "请选择类型" in harness.last_text(COMMUNITY)
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "household:kind:empty_nest"))
    assert "春晖社区" in harness.last_text(COMMUNITY)
    await choose_unit(harness, COMMUNITY, 0, 0)  # 第一网格, 1栋
    await harness.send(updates.text(COMMUNITY, "3单元502"))
    await press(harness, COMMUNITY, harness.button(COMMUNITY, "household:cad:monthly"))
    candidates = [label for label, _ in harness.buttons(COMMUNITY)]
    # Staff from the building up to its community, and volunteers living in that community.
    assert any("李网格" in c for c in candidates) and any("王阿姨" in c for c in candidates)
    assert not any("外社区志愿者" in c for c in candidates)
    assert not any("春晖物业" in c for c in candidates)  # partners do not visit
    await press(harness, COMMUNITY, f"household:vis:{VOLUNTEER}")
    await harness.send(updates.text(COMMUNITY, NOTES))

    assert "已登记重点户" in harness.last_text(COMMUNITY)
    [stored] = await households(harness).within(["B1"])
    assert (stored.kind, stored.label, stored.cadence) == (
        "empty_nest",
        "3单元502",
        Cadence.MONTHLY,
    )
    assert (stored.visitor_id, stored.visitor_kind) == (VOLUNTEER, VisitorKind.VOLUNTEER)
    assert stored.notes == NOTES
    assert stored.due_on == date(2026, 12, 24)  # registered 2026-11-24, monthly
    told = harness.last_text(VOLUNTEER)
    assert "3单元502" in told and "1栋" in told
    assert "糖尿病" not in everything_sent_to(harness, VOLUNTEER)
    assert await harness.services.drafts.get(COMMUNITY) is None


async def test_a_resident_cannot_register_or_list_households(harness):
    for command in ("/household", "/households"):
        await harness.send(updates.text(RESIDENT, command))
        assert "仅限网格工作人员" in harness.last_text(RESIDENT)
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_a_bad_label_keeps_the_registration_on_the_same_step(harness):
    await harness.send(updates.text(HEAD_G1, "/household"))
    await press(harness, HEAD_G1, "household:kind:illness")
    await choose_unit(harness, HEAD_G1)
    await harness.send(updates.text(HEAD_G1, "门" * 61))
    assert "最多 60 个字" in harness.last_text(HEAD_G1)
    draft = await harness.services.drafts.get(HEAD_G1)
    assert (draft.flow, draft.step) == ("household", "label")
    await harness.send(updates.photo(HEAD_G1))
    assert (await harness.services.drafts.get(HEAD_G1)).step == "label"


async def test_households_lists_the_unit_and_below_only(harness):
    mine = await add_household(harness, unit="B1")
    other = await add_household(harness, unit="B3", visitor=WORKER_G2, label="7-101")
    await harness.send(updates.text(WORKER_G1, "/households"))
    listed = harness.last_text(WORKER_G1)
    assert f"#{mine.id}" in listed and f"#{other.id}" not in listed
    await harness.send(updates.text(COMMUNITY, "/households"))
    assert f"#{other.id}" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(SIBLING_COMMUNITY, "/households"))
    assert "暂无登记的重点户" in harness.last_text(SIBLING_COMMUNITY)
    assert NOTES not in everything_sent_to(harness, WORKER_G1)  # the list has no notes


async def test_staff_above_open_the_card_with_its_notes(harness):
    household = await add_household(harness)
    for staff in (WORKER_G1, COMMUNITY):
        await press(harness, staff, f"household:show:{household.id}")
        assert NOTES in harness.last_text(staff)


async def test_nobody_else_reads_the_notes_through_any_command_or_button(harness):
    await approve_volunteer(harness, VOLUNTEER, "B2", "王阿姨")
    household = await add_household(harness, visitor=VOLUNTEER, visitor_kind=VisitorKind.VOLUNTEER)
    hid = household.id
    commands = [f"/{name}" for name, _, _ in COMMANDS]
    assert "/households" in commands and "/visits" in commands
    presses = [
        f"household:show:{hid}",
        f"household:edcad:{hid}",
        f"household:setcad:{hid}:weekly",
        f"household:edvis:{hid}",
        f"household:setvis:{hid}:{RESIDENT}",
        f"household:off:{hid}",
        f"household:offok:{hid}",
        f"visit:log:{hid}",
        f"visit:confirm:{hid}",
        f"household:show:{hid}:x",
        "household:show:abc",
    ]
    outsiders = [RESIDENT, VOLUNTEER, SIBLING_COMMUNITY, WORKER_G2, PROPERTY]
    for user in outsiders:
        for command in commands:
            await harness.send(updates.text(user, command))
            await harness.services.drafts.clear(user, harness.clock())
        for data in presses:
            await press(harness, user, data)
    for user in outsiders:
        sent = everything_sent_to(harness, user)
        assert "糖尿病" not in sent, user
        assert "没有权限" in sent or "not allowed" in sent, user  # /lang may have switched
    after = await households(harness).get(hid)
    assert after == household  # nothing changed: same version, cadence, visitor, still active
    # The volunteer may still see what the visit needs: the label and the place.
    await harness.send(updates.text(VOLUNTEER, "/visits"))
    assert "3单元502" in harness.last_text(VOLUNTEER)


async def test_staff_change_the_cadence_and_the_visitor_and_stop_visits(harness):
    household = await add_household(harness, cadence=Cadence.WEEKLY)
    await press(harness, COMMUNITY, f"household:edcad:{household.id}")
    await press(harness, COMMUNITY, f"household:setcad:{household.id}:quarterly")
    changed = await households(harness).get(household.id)
    assert changed.cadence is Cadence.QUARTERLY
    assert changed.due_on == date(2027, 2, 24)
    assert "2027-02-24" in harness.last_text(COMMUNITY)

    await press(harness, COMMUNITY, f"household:edvis:{household.id}")
    assert harness.button(COMMUNITY, f"household:setvis:{household.id}:{HEAD_G1}")
    await press(harness, COMMUNITY, f"household:setvis:{household.id}:{HEAD_G1}")
    assert (await households(harness).get(household.id)).visitor_id == HEAD_G1
    assert "3单元502" in harness.last_text(HEAD_G1)
    # Someone outside the candidates (a sibling grid's worker) cannot be chosen by forging.
    await press(harness, COMMUNITY, f"household:setvis:{household.id}:{WORKER_G2}")
    assert (await households(harness).get(household.id)).visitor_id == HEAD_G1

    await press(harness, COMMUNITY, f"household:off:{household.id}")
    await press(harness, COMMUNITY, f"household:offok:{household.id}")
    stopped = await households(harness).get(household.id)
    assert not stopped.active and stopped.next_at is None
    assert "无需再去" in harness.last_text(HEAD_G1)
    await press(harness, COMMUNITY, f"household:offok:{household.id}")
    assert "已停止走访" in harness.last_text(COMMUNITY)
    assert [a for a, _ in await households(harness).events(household.id)] == [
        "register",
        "cadence",
        "visitor",
        "deactivate",
    ]


async def test_care_commands_in_a_group_say_nothing_about_households(harness):
    await add_household(harness)
    group = -100200300
    for command in ("/households", "/visits", "/monthly"):
        await harness.send(updates.text(COMMUNITY, command, chat_id=group))
    sent = everything_sent_to(harness, group)
    assert "3单元502" not in sent and "糖尿病" not in sent
    assert "私聊" in sent
