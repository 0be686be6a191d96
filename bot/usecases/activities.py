"""Activity use cases (活动预约): staff create one, volunteers sign up (a waitlist when full) and
leave (the first waiting moves up), the organiser checks them in (which earns the points), and
the sweep reminds everyone going. Each is one commit; a second press changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.domain import access
from bot.domain import activities as domain
from bot.domain.activities import Activity, Reminder, Signup, SignupStatus, reminder_due
from bot.domain.points import PointKind, value_of
from bot.notices import outgoing
from bot.notices.activities import (
    announcement,
    checked_in_messages,
    member_card,
    organiser_card,
    promotion,
    reminder_messages,
)
from bot.notices.volunteers import lang_of
from bot.services import Services
from bot.texts import plural_key
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing


async def create_activity(
    services: Services,
    *,
    by: int,
    at: datetime,
    title: str,
    starts_at: datetime,
    place: str,
    capacity: int,
    unit: str,
    skills: Sequence[str],
    card: str,
) -> Done[Activity] | Refused:
    """Stores BY's activity with its reminders, announces it to the unit's volunteer group and
    the matching volunteers, turns BY's card CARD into "created" with the organiser's card, and
    ends BY's draft, in one commit.

    Refused: "common.not_allowed" (BY may not organise: recorded), "activity.time_past".
    """
    staff = await services.people.staff(by)
    if (rule := access.organise_activity(staff)) is not None:
        return await refuse(services, by, rule, f"unit:{unit}", "actnew:create", at=at)
    activity = Activity(
        title=title,
        starts_at=starts_at,
        place=place,
        capacity=capacity,
        unit=unit,
        organiser_id=by,
        skills=tuple(skills),
        created_at=at,
    )
    activity = domain.schedule_reminders(activity, at)
    if not activity.is_upcoming(at):
        return Refused("activity.time_past")
    lang = (await lang_of(services, [by]))[by]

    async def messages(stored: Activity) -> list[Outgoing]:  # the notices need its number
        out, told = await announcement(services, stored)
        tree = await services.units.tree()
        key = plural_key("activity.created", told)
        done = outgoing.card(by, card, services.texts(key, lang, number=stored.number, count=told))
        return [done, organiser_card(services, stored, by, lang, tree), *out]

    async with services.store.transaction() as tx:
        stored = await tx.activities.create(activity, messages)
        await tx.drafts.clear(by, at)
    return Done(stored)


async def view_activity(
    services: Services, activity_id: int, *, by: int, at: datetime
) -> Done[Activity] | Refused:
    """Returns ACTIVITY_ID for an approved volunteer BY to read privately (pressed under a group
    post). Nothing is written.

    Refused: "common.stale_button" (no such activity), "wish.volunteers_only" (not an approved
    volunteer: recorded).
    """
    activity = await services.store.activities.get(activity_id)
    if activity is None:
        return Refused("common.stale_button")
    volunteer = await services.store.volunteers.get(by)
    if (rule := access.join_activity(volunteer)) is not None:
        target, key = f"activity:{activity.id}", "wish.volunteers_only"
        return await refuse(services, by, rule, target, "act:view", at=at, key=key)
    return Done(activity)


async def roster(
    services: Services, activity_id: int, *, by: int, at: datetime
) -> Done[tuple[Activity, list[Signup]]] | Refused:
    """Returns ACTIVITY_ID and its sign-ups (in sign-up order) for the organiser, or staff over
    its unit, BY. Nothing is written.

    Refused: "common.stale_button" (no such activity), "common.not_allowed" (BY may not see
    the roster: recorded).
    """
    activity = await services.store.activities.get(activity_id)
    if activity is None:
        return Refused("common.stale_button")
    staff = await services.people.staff(by)
    if (rule := access.check_in(staff, activity, await services.units.tree())) is not None:
        return await refuse(services, by, rule, f"activity:{activity.id}", "act:roster", at=at)
    return Done((activity, await services.store.activities.signups(activity_id)))


async def sign_up(
    services: Services, activity_id: int, *, by: int, at: datetime
) -> Done[SignupStatus] | Refused:
    """Volunteer BY takes a place, or a waitlist place when it is full (counted and taken in one
    commit, so two sign-ups never both get the last place); BY's card and note say which.

    Refused: "common.stale_button" (no such activity), "wish.volunteers_only" (not an approved
    volunteer: recorded), "activity.over", "activity.already_signed" (with {title}).
    """
    activity = await services.store.activities.get(activity_id)
    if activity is None:
        return Refused("common.stale_button")
    volunteer = await services.store.volunteers.get(by)
    if (rule := access.join_activity(volunteer)) is not None:
        target = f"activity:{activity.id}"
        key = "wish.volunteers_only"
        return await refuse(services, by, rule, target, "act:join", at=at, key=key)
    if not activity.is_upcoming(at):
        return Refused("activity.over")
    lang = (await lang_of(services, [by]))[by]
    after = {
        status: [
            await member_card(services, activity, by, lang, assumed=status),
            outgoing.message(
                by, services.texts(f"activity.joined_{status.value}", lang, title=activity.title)
            ),
        ]
        for status in (SignupStatus.GOING, SignupStatus.WAITLIST)
    }
    async with services.store.transaction() as tx:
        got = await tx.activities.sign_up(activity, by, at, after)
    if got is None:
        return Refused("activity.already_signed", {"title": activity.title})
    return Done(got)


async def leave(
    services: Services, activity_id: int, *, by: int, at: datetime
) -> Done[int | None] | Refused:
    """BY cancels their sign-up to an activity that has not started; the first on the waitlist
    moves up and is told, in the same commit. Done(the volunteer moved up, or None).

    Refused: "common.stale_button" (no such activity), "activity.over", "activity.not_signed"
    (with {title}: never signed up, or a second press).
    """
    activity = await services.store.activities.get(activity_id)
    if activity is None:
        return Refused("common.stale_button")
    if not activity.is_upcoming(at):
        return Refused("activity.over")
    lang = (await lang_of(services, [by]))[by]
    mine = [
        await member_card(services, activity, by, lang, assumed=SignupStatus.CANCELLED),
        outgoing.message(by, services.texts("activity.left", lang, title=activity.title)),
    ]
    async with services.store.transaction() as tx:
        done, moved = await tx.activities.cancel(
            activity, by, at, mine, promotion(services, activity)
        )
    if not done:
        return Refused("activity.not_signed", {"title": activity.title})
    return Done(moved)


async def check_in(
    services: Services, activity_id: int, volunteer_id: int, *, by: int, at: datetime
) -> Done[int] | Refused:
    """The organiser (or staff over the activity's unit) BY checks VOLUNTEER_ID in once check-in
    has opened: the sign-up becomes attended and the volunteer earns the points and is told,
    the roster redrawn, in one commit; once only. Done(the points).

    Refused: "common.stale_button" (no such activity), "common.not_allowed" (BY may not check
    in here: recorded), "activity.check_in_not_open", "activity.not_going" (not signed up, or
    checked in already).
    """
    activity = await services.store.activities.get(activity_id)
    if activity is None:
        return Refused("common.stale_button")
    staff = await services.people.staff(by)
    if (rule := access.check_in(staff, activity, await services.units.tree())) is not None:
        return await refuse(services, by, rule, f"activity:{activity.id}", "act:in", at=at)
    if not domain.check_in_open(activity, at):
        return Refused("activity.check_in_not_open")
    points = value_of(PointKind.CHECKIN, services.settings.volunteers.points.model_dump())
    signups = [
        replace(s, status=SignupStatus.ATTENDED) if s.volunteer_id == volunteer_id else s
        for s in await services.store.activities.signups(activity_id)
    ]
    messages = await checked_in_messages(
        services, activity, volunteer_id, by=by, signups=signups, points=points, now=at
    )
    async with services.store.transaction() as tx:
        if not await tx.activities.check_in(activity, volunteer_id, at, points, messages):
            return Refused("activity.not_going")
    return Done(points)


async def remind(
    services: Services, activity: Activity, *, at: datetime
) -> Done[Reminder] | Refused:
    """The sweep's work on one ACTIVITY with a reminder due: everyone going gets the day-before
    or the hour-before reminder — after downtime only the latest — and the reminder is cleared
    with compare-and-set, in one commit. An activity that has started is only cleared.

    Refused("common.stale_button") if it was reminded already (or has started).
    """
    reminder = reminder_due(activity, at)

    async def messages() -> list[Outgoing]:
        return await reminder_messages(services, activity, reminder or Reminder.DAY)

    async with services.store.transaction(completes_update=False) as tx:
        cleared = await tx.activities.mark_reminded(activity, reminder, at, messages)
    if not cleared or reminder is None:
        return Refused("common.stale_button")
    return Done(reminder)
