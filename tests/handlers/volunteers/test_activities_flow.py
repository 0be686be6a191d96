"""Activities through the handlers: create by conversation, sign up, waitlist, reminders."""

from __future__ import annotations

from bot.domain.activities import SignupStatus
from bot.jobs.volunteers import remind_activities
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G2
from tests.handlers.kit.picking import choose_here
from tests.handlers.volunteers.support import (
    GROUP,
    VOLUNTEER_A,
    VOLUNTEER_B,
    VOLUNTEER_C,
    all_text,
    answers,
    bind_group,
    person,
    volunteer,
)


async def created(harness, capacity: str = "1") -> int:
    """Community staff create a cleaning activity on Saturday 2026-11-28 09:00 for C1."""
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1", skills=("cleaning",))
    await volunteer(harness, VOLUNTEER_B, "志愿者乙", "B2", skills=("cleaning",))
    await volunteer(harness, VOLUNTEER_C, "志愿者丙", "B3", skills=("medical",))
    await bind_group(harness)
    await harness.send(updates.text(COMMUNITY, "/activity_new"))
    await harness.send(updates.text(COMMUNITY, "小区大扫除"))
    await harness.send(updates.text(COMMUNITY, "明天"))
    assert "没看懂这个时间" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "2026-11-28 09:00"))
    await harness.send(updates.text(COMMUNITY, "社区广场"))
    await harness.send(updates.text(COMMUNITY, "0"))
    assert "1 到 500" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, capacity))
    await harness.send(updates.press(COMMUNITY, "actnew:skill:cleaning"))
    await harness.send(updates.press(COMMUNITY, "actnew:skills_done"))
    await choose_here(harness, COMMUNITY)  # their own community, where the walk starts
    assert "09:00" in harness.last_text(COMMUNITY)
    await harness.send(updates.press(COMMUNITY, "actnew:create"))
    [activity] = await harness.services.store.activities.upcoming(harness.clock())
    return activity.id


async def test_an_activity_is_announced_to_the_group_and_matching_volunteers(harness):
    activity_id = await created(harness)
    assert "小区大扫除" in all_text(harness, GROUP)
    assert f"act:join:{activity_id}" in all_text(harness, VOLUNTEER_A)
    assert f"act:join:{activity_id}" in all_text(harness, VOLUNTEER_B)
    assert harness.texts_to(VOLUNTEER_C) == []
    assert "已通知 2 位志愿者" in all_text(harness, COMMUNITY)


async def test_a_full_activity_waitlists_and_promotes_in_order_when_a_place_frees(harness):
    activity_id = await created(harness, capacity="1")
    await harness.send(updates.press(VOLUNTEER_A, f"act:join:{activity_id}"))
    await harness.send(updates.press(VOLUNTEER_B, f"act:join:{activity_id}"))
    # C is not matched but may join from /activities; they queue behind B.
    await harness.send(updates.press(VOLUNTEER_C, f"act:join:{activity_id}"))
    signups = await harness.services.store.activities.signups(activity_id)
    assert [(s.volunteer_id, s.status) for s in signups] == [
        (VOLUNTEER_A, SignupStatus.GOING),
        (VOLUNTEER_B, SignupStatus.WAITLIST),
        (VOLUNTEER_C, SignupStatus.WAITLIST),
    ]
    assert "候补" in harness.last_text(VOLUNTEER_B)
    await harness.send(updates.press(VOLUNTEER_A, f"act:leave:{activity_id}"))
    signups = {
        s.volunteer_id: s.status
        for s in await harness.services.store.activities.signups(activity_id)
    }
    assert signups == {
        VOLUNTEER_A: SignupStatus.CANCELLED,
        VOLUNTEER_B: SignupStatus.GOING,
        VOLUNTEER_C: SignupStatus.WAITLIST,
    }
    assert "递补" in all_text(harness, VOLUNTEER_B) or "转为正式报名" in all_text(
        harness, VOLUNTEER_B
    )
    await harness.send(updates.press(VOLUNTEER_B, f"act:join:{activity_id}"))
    assert "已经报名" in harness.last_text(VOLUNTEER_B)


async def test_non_volunteers_cannot_sign_up(harness):
    activity_id = await created(harness)
    await person(harness, RESIDENT, "王奶奶", unit="B1")
    await harness.send(updates.press(RESIDENT, f"act:join:{activity_id}"))
    assert answers(harness)[-1].startswith("只有审核通过的志愿者")
    assert await harness.services.store.activities.signups(activity_id) == []


async def test_reminders_go_out_a_day_and_an_hour_before_once_each(harness):
    activity_id = await created(harness, capacity="5")
    await harness.send(updates.press(VOLUNTEER_A, f"act:join:{activity_id}"))
    services = harness.services
    assert await remind_activities(services, harness.clock()) == 0
    harness.clock.advance(days=3)  # Fri 2026-11-27 10:00 Shanghai: the day-before is due
    assert await remind_activities(services, harness.clock()) == 1
    assert await remind_activities(services, harness.clock()) == 0
    await harness.deliver()
    assert "明天有活动" in harness.last_text(VOLUNTEER_A)
    harness.clock.advance(hours=22, minutes=30)  # Sat 08:30
    assert await remind_activities(services, harness.clock()) == 1
    await harness.deliver()
    assert "一小时后开始" in harness.last_text(VOLUNTEER_A)
    assert await remind_activities(services, harness.clock()) == 0


async def test_after_downtime_only_the_hour_reminder_is_sent(harness):
    activity_id = await created(harness, capacity="5")
    await harness.send(updates.press(VOLUNTEER_A, f"act:join:{activity_id}"))
    harness.clock.advance(days=3, hours=22, minutes=30)  # both due, the bot was down
    assert await remind_activities(harness.services, harness.clock()) == 1
    await harness.deliver()
    texts = harness.texts_to(VOLUNTEER_A)
    assert not any("明天有活动" in t for t in texts)
    assert "一小时后开始" in texts[-1]


async def test_the_organiser_checks_people_in_and_that_earns_points(harness):
    activity_id = await created(harness, capacity="5")
    await harness.send(updates.press(VOLUNTEER_A, f"act:join:{activity_id}"))
    await harness.send(updates.press(COMMUNITY, f"act:in:{activity_id}:{VOLUNTEER_A}"))
    assert answers(harness)[-1] == "签到在活动开始前一小时开放。"
    harness.clock.advance(days=3, hours=22, minutes=30)
    await harness.send(updates.press(COMMUNITY, f"act:roster:{activity_id}"))
    assert harness.button(COMMUNITY, f"act:in:{activity_id}:{VOLUNTEER_A}")
    # A worker of another grid, or the volunteer, cannot check anyone in.
    for other in (WORKER_G2, VOLUNTEER_A):
        await harness.send(updates.press(other, f"act:in:{activity_id}:{VOLUNTEER_A}"))
        assert answers(harness)[-1] == "您没有权限进行此操作。"
    points = harness.services.store.points
    assert await points.balance(VOLUNTEER_A) == 0
    await harness.send(updates.press(COMMUNITY, f"act:in:{activity_id}:{VOLUNTEER_A}"))
    assert await points.balance(VOLUNTEER_A) == 5
    assert "获得 5 积分" in harness.last_text(VOLUNTEER_A)
    await harness.send(updates.press(COMMUNITY, f"act:in:{activity_id}:{VOLUNTEER_A}"))
    assert await points.balance(VOLUNTEER_A) == 5
    assert "已经签到" in harness.last_text(COMMUNITY)
    assert "— 已签到" in all_text(harness, COMMUNITY)


async def test_activities_lists_upcoming_ones_with_a_button(harness):
    activity_id = await created(harness)
    await harness.send(updates.text(VOLUNTEER_C, "/activities"))
    assert "小区大扫除" in harness.last_text(VOLUNTEER_C)
    await harness.send(updates.press(VOLUNTEER_C, harness.button(VOLUNTEER_C, "act:view:")))
    assert harness.button(VOLUNTEER_C, f"act:join:{activity_id}")


async def test_one_volunteer_told_is_said_in_the_singular(harness):
    """ "1 volunteers were told" was wrong English; Chinese says both the same way."""
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1", skills=("cleaning",))
    await volunteer(harness, VOLUNTEER_C, "志愿者丙", "B3", skills=("medical",))
    await harness.send(updates.text(COMMUNITY, "/lang en"))
    for step in ("/activity_new", "Blood pressure checks", "2026-11-28 09:00", "Square", "5"):
        await harness.send(updates.text(COMMUNITY, step))
    await harness.send(updates.press(COMMUNITY, "actnew:skill:medical"))
    await harness.send(updates.press(COMMUNITY, "actnew:skills_done"))
    await choose_here(harness, COMMUNITY)  # their own community, where the walk starts
    await harness.send(updates.press(COMMUNITY, "actnew:create"))
    assert "is published; 1 volunteer was told." in all_text(harness, COMMUNITY)
    assert "volunteers were told" not in all_text(harness, COMMUNITY)
