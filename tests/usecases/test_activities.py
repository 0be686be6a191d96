"""bot/usecases/activities.py on a real SQLite file, no Application: creating, signing up (a
waitlist when full), leaving (the first waiting moves up), checking in (points, once) and the
reminders — each in one unit of work, refused by its rule (recorded), and once only."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.domain.access import Rule
from bot.domain.activities import Activity, Reminder, SignupStatus
from bot.services import Services
from bot.usecases.activities import (
    check_in,
    create_activity,
    leave,
    remind,
    roster,
    sign_up,
    view_activity,
)
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import COMMUNITY, PROPERTY, RESIDENT, WORKER_G2
from tests.fakes import FakeClock
from tests.usecases.support import approved_volunteer, refusals, sent_to

VOLUNTEER_A = 7301
VOLUNTEER_B = 7302
VOLUNTEER_C = 7303


async def create(
    services: Services, *, by: int = COMMUNITY, starts_at: datetime | None = None
) -> Done[Activity] | Refused:
    """Creates a one-place clean-up at B1 two days ahead (or at STARTS_AT), as BY."""
    at = services.clock()
    return await create_activity(
        services,
        by=by,
        at=at,
        title="楼道大扫除",
        starts_at=starts_at or at + timedelta(days=2),
        place="1栋门口",
        capacity=1,
        unit="B1",
        skills=("repair",),
        card="actnew:1",
    )


async def created(services: Services) -> Activity:
    result = await create(services)
    assert isinstance(result, Done)
    return result.value


async def test_staff_create_an_activity_announced_to_matching_volunteers(services: Services):
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    await services.drafts.put(Draft(COMMUNITY, "activity", "confirm", {}), services.clock())
    activity = await created(services)
    assert activity.id is not None and activity.remind_day_at is not None
    assert await services.store.activities.get(activity.id) == activity
    assert await services.drafts.get(COMMUNITY) is None  # the flow ended in the same commit
    mine = "".join(await sent_to(services, COMMUNITY))
    assert activity.number in mine and f"act:roster:{activity.id}" in mine
    assert f"act:join:{activity.id}" in "".join(await sent_to(services, VOLUNTEER_A))


async def test_a_partner_may_not_organise_and_the_past_is_refused(services: Services):
    refused = await create(services, by=PROPERTY)
    assert refused == Refused("common.not_allowed", {}, Rule.ACTIVITY_ORGANISE)
    assert await refusals(services) == [(PROPERTY, "actnew:create", "activity_organise", "unit:B1")]
    past = await create(services, starts_at=services.clock() - timedelta(minutes=1))
    assert past == Refused("activity.time_past")
    assert await services.store.activities.upcoming(services.clock() - timedelta(days=1)) == []


async def test_the_last_place_goes_to_one_and_the_other_waits(services: Services):
    activity = await created(services)
    assert activity.id is not None
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    await approved_volunteer(services, VOLUNTEER_B, "志愿者乙")
    at = services.clock()
    results = await asyncio.gather(
        sign_up(services, activity.id, by=VOLUNTEER_A, at=at),
        sign_up(services, activity.id, by=VOLUNTEER_B, at=at),
    )
    assert sorted(r.value for r in results if isinstance(r, Done)) == [
        SignupStatus.GOING,
        SignupStatus.WAITLIST,
    ]
    again = await sign_up(services, activity.id, by=VOLUNTEER_A, at=at)
    assert again == Refused("activity.already_signed", {"title": "楼道大扫除"})
    assert len(await services.store.activities.signups(activity.id)) == 2


async def test_only_approved_volunteers_sign_up_and_not_after_the_start(
    services: Services, clock: FakeClock
):
    activity = await created(services)
    assert activity.id is not None
    await services.people.touch(RESIDENT, "王奶奶", "zh", clock())
    refused = await sign_up(services, activity.id, by=RESIDENT, at=clock())
    assert refused == Refused("wish.volunteers_only", {}, Rule.ACTIVITY_JOIN)
    assert await refusals(services) == [
        (RESIDENT, "act:join", "activity_join", f"activity:{activity.id}")
    ]
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    late = await sign_up(services, activity.id, by=VOLUNTEER_A, at=clock.advance(days=3))
    assert late == Refused("activity.over")
    assert await services.store.activities.signups(activity.id) == []
    assert await sign_up(services, 999, by=VOLUNTEER_A, at=clock()) == Refused(
        "common.stale_button"
    )


async def test_leaving_hands_the_place_to_the_first_waiting_once(services: Services):
    activity = await created(services)
    assert activity.id is not None
    at = services.clock()
    for user_id, name in ((VOLUNTEER_A, "甲"), (VOLUNTEER_B, "乙"), (VOLUNTEER_C, "丙")):
        await approved_volunteer(services, user_id, name)
        assert isinstance(await sign_up(services, activity.id, by=user_id, at=at), Done)

    left = await leave(services, activity.id, by=VOLUNTEER_A, at=at)
    assert left == Done(VOLUNTEER_B)  # the earliest waiting, not the latest
    signup = await services.store.activities.signup_of(activity.id, VOLUNTEER_B)
    assert signup is not None and signup.status is SignupStatus.GOING
    assert any("候补" in t or "递补" in t for t in await sent_to(services, VOLUNTEER_B))

    again = await leave(services, activity.id, by=VOLUNTEER_A, at=at)
    assert again == Refused("activity.not_signed", {"title": "楼道大扫除"})
    signup = await services.store.activities.signup_of(activity.id, VOLUNTEER_C)
    assert signup is not None and signup.status is SignupStatus.WAITLIST


async def test_the_organiser_checks_in_once_when_it_opens_and_points_are_earned_once(
    services: Services, clock: FakeClock
):
    activity = await created(services)
    assert activity.id is not None
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    assert isinstance(await sign_up(services, activity.id, by=VOLUNTEER_A, at=clock()), Done)

    early = await check_in(services, activity.id, VOLUNTEER_A, by=COMMUNITY, at=clock())
    assert early == Refused("activity.check_in_not_open")
    at = clock.advance(days=2, minutes=-30)  # half an hour before the start
    refused = await check_in(services, activity.id, VOLUNTEER_A, by=WORKER_G2, at=at)
    assert refused == Refused("common.not_allowed", {}, Rule.ACTIVITY_CHECK_IN)
    assert await refusals(services) == [
        (WORKER_G2, "act:in", "activity_check_in", f"activity:{activity.id}")
    ]

    done = await check_in(services, activity.id, VOLUNTEER_A, by=COMMUNITY, at=at)
    assert done == Done(services.settings.volunteers.points.checkin)
    assert await services.store.points.balance(VOLUNTEER_A) == 5
    signup = await services.store.activities.signup_of(activity.id, VOLUNTEER_A)
    assert signup is not None and signup.status is SignupStatus.ATTENDED
    assert any("5 积分" in t for t in await sent_to(services, VOLUNTEER_A))

    again = await check_in(services, activity.id, VOLUNTEER_A, by=COMMUNITY, at=at)
    assert again == Refused("activity.not_going")
    assert await services.store.points.balance(VOLUNTEER_A) == 5


async def test_each_reminder_goes_once(services: Services, clock: FakeClock):
    activity = await created(services)
    assert activity.id is not None
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    assert isinstance(await sign_up(services, activity.id, by=VOLUNTEER_A, at=clock()), Done)
    before = len(await sent_to(services, VOLUNTEER_A))

    at = clock.advance(days=1, minutes=1)
    [due] = await services.store.activities.due_reminders(at)
    assert await remind(services, due, at=at) == Done(Reminder.DAY)
    assert await remind(services, due, at=at) == Refused("common.stale_button")  # a second pass
    assert len(await sent_to(services, VOLUNTEER_A)) == before + 1

    at = clock.advance(hours=23)  # within the hour before the start
    [due] = await services.store.activities.due_reminders(at)
    assert await remind(services, due, at=at) == Done(Reminder.HOUR)
    assert await services.store.activities.due_reminders(at) == []
    assert len(await sent_to(services, VOLUNTEER_A)) == before + 2


async def test_after_downtime_through_both_reminders_only_the_hour_one_goes(
    services: Services, clock: FakeClock
):
    activity = await created(services)
    assert activity.id is not None
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    assert isinstance(await sign_up(services, activity.id, by=VOLUNTEER_A, at=clock()), Done)
    before = len(await sent_to(services, VOLUNTEER_A))

    at = clock.advance(days=2, minutes=-30)  # both reminders were due while the bot was down
    [due] = await services.store.activities.due_reminders(at)
    assert await remind(services, due, at=at) == Done(Reminder.HOUR)
    assert await services.store.activities.due_reminders(at) == []
    assert len(await sent_to(services, VOLUNTEER_A)) == before + 1


async def test_only_volunteers_view_and_only_those_over_it_see_the_roster(services: Services):
    activity = await created(services)
    assert activity.id is not None
    await approved_volunteer(services, VOLUNTEER_A, "志愿者甲")
    at = services.clock()
    assert await view_activity(services, activity.id, by=VOLUNTEER_A, at=at) == Done(activity)
    await services.people.touch(RESIDENT, "王奶奶", "zh", at)
    refused = await view_activity(services, activity.id, by=RESIDENT, at=at)
    assert refused == Refused("wish.volunteers_only", {}, Rule.ACTIVITY_JOIN)

    assert isinstance(await sign_up(services, activity.id, by=VOLUNTEER_A, at=at), Done)
    shown = await roster(services, activity.id, by=COMMUNITY, at=at)
    assert isinstance(shown, Done)
    assert [(s.volunteer_id, s.status) for s in shown.value[1]] == [
        (VOLUNTEER_A, SignupStatus.GOING)
    ]
    hidden = await roster(services, activity.id, by=WORKER_G2, at=at)
    assert hidden == Refused("common.not_allowed", {}, Rule.ACTIVITY_CHECK_IN)
    assert await refusals(services) == [
        (RESIDENT, "act:view", "activity_join", f"activity:{activity.id}"),
        (WORKER_G2, "act:roster", "activity_check_in", f"activity:{activity.id}"),
    ]
