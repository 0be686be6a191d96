"""What an activity tells whom: group announcement, volunteers' cards, the organiser's roster."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.domain.activities import Activity, Reminder, Signup, SignupStatus, check_in_open
from bot.domain.units import UnitTree
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import (
    area,
    lang_of,
    matching_volunteers,
    skill_names,
    volunteer_groups,
    when,
)
from bot.services import Services
from bot.texts import Raw, plural_key
from storage.outbox import Outgoing


def member_key(activity: Activity) -> str:
    return f"activity:{activity.id}:member"


def activity_text(services: Services, activity: Activity, lang: str, tree: UnitTree) -> str:
    return services.texts(
        "activity.details",
        lang,
        number=activity.number,
        title=activity.title,
        when=when(services, activity.starts_at),
        place=activity.place,
        capacity=activity.capacity,
        skills=skill_names(services, activity.skills, lang)
        if activity.skills
        else services.texts("activity.anyone", lang),
        area=area(tree, activity.unit),
    )


async def announcement(services: Services, activity: Activity) -> tuple[list[Outgoing], int]:
    """Returns the group posts and the matching volunteers' cards, and how many were told."""
    tree = await services.units.tree()
    out: list[Outgoing] = []
    for binding in await volunteer_groups(services, activity.unit):
        text = services.texts(
            "activity.group",
            binding.lang,
            details=Raw(activity_text(services, activity, binding.lang, tree)),
        )
        markup = buttons.keyboard(
            [[button(services.texts("activity.sign_up", binding.lang), "act", "view", activity.id)]]
        )
        out.append(outgoing.message(binding.chat_id, text, markup=markup))
    matched = await matching_volunteers(
        services, activity.unit, activity.skills, exclude=[activity.organiser_id]
    )
    langs = await lang_of(services, [v.user_id for v in matched])
    for volunteer in matched:
        out.append(
            await member_card(services, activity, volunteer.user_id, langs[volunteer.user_id])
        )
    return out, len(matched)


async def member_card(
    services: Services,
    activity: Activity,
    chat_id: int,
    lang: str,
    *,
    assumed: SignupStatus | None = None,
    read: bool = False,
) -> Outgoing:
    """Returns a volunteer's card: details, their status, and join or leave.

    ASSUMED is the status the card shows (the one a pending write will set); with READ the
    stored one is read instead.
    """
    tree = await services.units.tree()
    status = assumed
    if read:
        signup = await services.store.activities.signup_of(activity.id or 0, chat_id)
        status = signup.status if signup else None
    text = activity_text(services, activity, lang, tree)
    if status is not None:
        text += "\n\n" + services.texts(f"activity.you_{status.value}", lang)
    if status in (SignupStatus.GOING, SignupStatus.WAITLIST):
        row = [button(services.texts("activity.leave", lang), "act", "leave", activity.id)]
    elif status is SignupStatus.ATTENDED:
        row = []
    else:
        row = [button(services.texts("activity.join", lang), "act", "join", activity.id)]
    return outgoing.card(chat_id, member_key(activity), text, markup=buttons.keyboard([row]))


def promotion(services: Services, activity: Activity) -> Callable[[int], Awaitable[list[Outgoing]]]:
    """Returns what tells a volunteer moved up from ACTIVITY's waitlist (their notice, card)."""

    async def promoted(volunteer_id: int) -> list[Outgoing]:
        lang = (await lang_of(services, [volunteer_id]))[volunteer_id]
        return [
            outgoing.message(
                volunteer_id, services.texts("activity.promoted", lang, title=activity.title)
            ),
            await member_card(services, activity, volunteer_id, lang, assumed=SignupStatus.GOING),
        ]

    return promoted


def organiser_card(
    services: Services,
    activity: Activity,
    chat_id: int,
    lang: str,
    tree: UnitTree,
) -> Outgoing:
    text = services.texts(
        "activity.organiser", lang, details=Raw(activity_text(services, activity, lang, tree))
    )
    markup = buttons.keyboard(
        [[button(services.texts("activity.roster", lang), "act", "roster", activity.id)]]
    )
    return outgoing.card(chat_id, f"activity:{activity.id}:organiser", text, markup=markup)


def roster_card(
    services: Services,
    activity: Activity,
    chat_id: int,
    lang: str,
    signups: list[Signup],
    now: datetime,
) -> Outgoing:
    """Returns the sign-up list; while check-in is open, a button per volunteer going."""
    lines = [
        services.texts(
            "activity.roster_line",
            lang,
            name=s.name or str(s.volunteer_id),
            status=services.texts(f"activity.status_{s.status.value}", lang),
        )
        for s in signups
        if s.status is not SignupStatus.CANCELLED
    ]
    going = sum(1 for s in signups if s.status.holds_place)
    text = services.texts(
        "activity.roster_text",
        lang,
        number=activity.number,
        title=activity.title,
        going=going,
        capacity=activity.capacity,
        lines=Raw("\n".join(lines) or services.texts("activity.nobody_yet", lang)),
    )
    rows = []
    if check_in_open(activity, now):
        rows = [
            [
                button(
                    "☑️ " + (s.name or str(s.volunteer_id)), "act", "in", activity.id, s.volunteer_id
                )
            ]
            for s in signups
            if s.status is SignupStatus.GOING
        ]
    else:
        text += "\n" + services.texts("activity.check_in_later", lang)
    return outgoing.card(
        chat_id, f"activity:{activity.id}:roster", text, markup=buttons.keyboard(rows)
    )


async def reminder_messages(
    services: Services, activity: Activity, reminder: Reminder
) -> list[Outgoing]:
    """Returns the reminder for everyone going (waitlisted people are not reminded)."""
    signups = await services.store.activities.signups(activity.id or 0)
    going = [s.volunteer_id for s in signups if s.status is SignupStatus.GOING]
    langs = await lang_of(services, going)
    return [
        outgoing.message(
            user_id,
            services.texts(
                f"activity.remind_{reminder.value}",
                langs[user_id],
                title=activity.title,
                when=when(services, activity.starts_at),
                place=activity.place,
            ),
        )
        for user_id in going
    ]


async def checked_in_messages(
    services: Services,
    activity: Activity,
    volunteer_id: int,
    *,
    by: int,
    signups: list[Signup],
    points: int,
    now: datetime,
) -> list[Outgoing]:
    """Returns BY's roster redrawn (SIGNUPS as they will be) and the volunteer's notice of the
    POINTS they earned by being checked in."""
    langs = await lang_of(services, [by, volunteer_id])
    lang = langs[volunteer_id]
    text = services.texts(
        plural_key("activity.checked_in", points), lang, title=activity.title, points=points
    )
    return [
        roster_card(services, activity, by, langs[by], signups, now),
        outgoing.message(volunteer_id, text),
    ]
