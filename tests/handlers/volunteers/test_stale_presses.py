"""The one press guard (handlers/kit/presses.press_of) on the volunteers' buttons: a button of an
old card, one pressed out of step or in another conversation, a forged verb or argument, and a
second press each get the polite stale answer and change nothing."""

from __future__ import annotations

from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1
from tests.handlers.volunteers.support import VOLUNTEER_A, answers, person, volunteer
from tests.handlers.volunteers.test_activities_flow import created
from tests.handlers.volunteers.test_volunteer_registration import NEWCOMER, register_newcomer
from tests.handlers.volunteers.test_wish_flow import posted_and_approved

STALE = "这个按钮已失效，请使用最新的消息。"


async def test_registration_buttons_count_only_at_their_step(harness):
    await person(harness, NEWCOMER, "刘志愿", unit="B1")
    await harness.send(updates.text(NEWCOMER, "/volunteer"))
    await harness.send(updates.text(NEWCOMER, "刘志愿"))
    await harness.send(updates.text(NEWCOMER, "13812345678"))  # now at the skills step
    for early in ("volreg:submit", "volreg:party:1", "volreg:team:red", "wishnew:post"):
        await harness.send(updates.press(NEWCOMER, early))
        assert answers(harness)[-1] == STALE
    assert await harness.services.store.volunteers.get(NEWCOMER) is None
    draft = await harness.services.drafts.get(NEWCOMER)
    assert draft is not None and (draft.flow, draft.step) == ("volunteer", "skills")
    await harness.send(updates.press(NEWCOMER, "volreg:skill:nonsense"))  # a forged skill
    assert answers(harness)[-1] == STALE
    assert "skills" not in (await harness.services.drafts.get(NEWCOMER)).data


async def test_a_second_submit_from_the_old_card_sends_no_second_decision(harness):
    await register_newcomer(harness)
    cards = len(harness.texts_to(COMMUNITY))
    await harness.send(updates.press(NEWCOMER, "volreg:submit"))
    assert answers(harness)[-1] == STALE
    assert len(harness.texts_to(COMMUNITY)) == cards


async def test_redo_from_the_profile_starts_afresh_and_needs_no_draft(harness):
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1")
    await harness.send(updates.text(VOLUNTEER_A, "/volunteer"))
    await harness.send(updates.press(VOLUNTEER_A, harness.button(VOLUNTEER_A, "volreg:redo")))
    assert answers(harness)[-1] == ""  # answered without a notice
    assert "姓名" in harness.last_text(VOLUNTEER_A)
    draft = await harness.services.drafts.get(VOLUNTEER_A)
    assert draft is not None and (draft.flow, draft.step) == ("volunteer", "name")


async def test_forged_verbs_and_arguments_are_stale_and_change_nothing(harness):
    activity_id = await created(harness)
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1")
    for forged in (
        f"act:explode:{activity_id}",
        "act:join:notanumber",
        f"act:in:{activity_id}",  # no volunteer named
        "wish:claim:999",
        "wish:steal:1",
        "vol:ok:",
        "vfind:inv:1",
        "vfind:fly:1",
        "actnew:create",  # no activity being created
    ):
        await harness.send(updates.press(COMMUNITY, forged))
        assert answers(harness)[-1] == STALE, forged
    assert await harness.services.store.activities.signups(activity_id) == []


async def test_a_second_post_or_create_from_the_old_card_makes_nothing_new(harness):
    wish_id = await posted_and_approved(harness)
    await harness.send(updates.press(RESIDENT, "wishnew:post"))
    assert answers(harness)[-1] == STALE
    assert [w.id for w in await harness.services.store.wishes.mine(RESIDENT)] == [wish_id]
    await harness.send(updates.press(WORKER_G1, f"wish:ok:{wish_id}"))  # a second approval
    assert "已经审核过" in harness.last_text(WORKER_G1) or answers(harness)[-1].startswith(
        "这个心愿"
    )

    activity_id = await created(harness)
    await harness.send(updates.press(COMMUNITY, "actnew:create"))
    assert answers(harness)[-1] == STALE
    assert [a.id for a in await harness.services.store.activities.upcoming(harness.clock())] == [
        activity_id
    ]
