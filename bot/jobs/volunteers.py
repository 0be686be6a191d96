"""Sweeps for volunteers (registered on bot/jobs/__init__.py's one periodic pass).

- wish_nags: open wishes nobody claimed, or claimed ones not done, nag the staff over them.
- activity_reminders: a day and an hour before an activity, everyone going is reminded.
- volunteer_leaderboard: after the month turns, each volunteer group gets last month's
  standings, exactly once per (group, month).
Each finds its work through an index and acts with compare-and-set.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from bot.domain import wishes as wish_domain
from bot.domain.activities import Reminder, reminder_due
from bot.domain.groups import Binding
from bot.domain.points import Standing, leaderboard_month, month_bounds, standings
from bot.domain.units import UnitTree
from bot.domain.volunteers import nearest_staff, subtree
from bot.domain.wishes import Wish, WishStatus
from bot.notices import outgoing
from bot.notices.activities import reminder_messages
from bot.notices.volunteers import area, lang_of
from bot.notices.wishes import kind_name
from bot.services import Services
from bot.texts import Raw
from bot.usecases.wishes import policy
from storage.outbox import Outgoing
from storage.wishes import StaleWish


async def nag_wishes(services: Services, now: datetime) -> int:
    """Nags staff about wishes left unclaimed or stalled; each nag moves the next one on."""
    found = services.store
    acted = 0
    for wish in await found.wishes.due_nags(now):
        after, event = wish_domain.nag(wish, now, policy(services))
        try:
            await found.wishes.save(
                after, event, await nag_messages(services, wish, now), expect_version=wish.version
            )
        except StaleWish:
            continue  # claimed or moved meanwhile: the new state set its own clock
        acted += 1
    return acted


async def nag_messages(services: Services, wish: Wish, now: datetime) -> list[Outgoing]:
    tree = await services.units.tree()
    staff = nearest_staff(wish.unit, tree, await services.people.all_staff())
    langs = await lang_of(services, [s.user_id for s in staff])
    since = wish.claimed_at if wish.status is WishStatus.CLAIMED else wish.updated_at
    hours = int((now - (since or wish.created_at)).total_seconds() // 3600)
    key = "wish.nag_claimed" if wish.status is WishStatus.CLAIMED else "wish.nag_open"
    claimer = await found_name(services, wish.claimer_id)
    return [
        outgoing.message(
            s.user_id,
            services.texts(
                key,
                langs[s.user_id],
                number=wish.number,
                kind=kind_name(services, wish, langs[s.user_id]),
                area=area(tree, wish.unit),
                hours=hours,
                claimer=claimer,
            ),
        )
        for s in staff
    ]


async def found_name(services: Services, user_id: int | None) -> str:
    if user_id is None:
        return ""
    volunteer = await services.store.volunteers.get(user_id)
    return volunteer.name if volunteer else str(user_id)


async def remind_activities(services: Services, now: datetime) -> int:
    """Sends the day-before and hour-before reminders; after downtime only the latest one."""
    activities = services.store.activities
    acted = 0
    for activity in await activities.due_reminders(now):
        reminder = reminder_due(activity, now)
        messages = partial(reminder_messages, services, activity, reminder or Reminder.DAY)
        if await activities.mark_reminded(activity, reminder, now, messages) and reminder:
            acted += 1
    return acted


async def post_leaderboards(services: Services, now: datetime) -> int:
    """Posts last month's standings to every volunteer group that has not had them."""
    config = services.settings.volunteers
    month = leaderboard_month(now, services.tz, config.leaderboard_day, config.leaderboard_hour)
    if month is None:
        return 0
    found = services.store
    tree = await services.units.tree()
    start, end = month_bounds(month, services.tz)
    acted = 0
    for binding in await found.points.leaderboard_due(month):
        if binding.unit not in tree:
            continue
        totals = await found.points.totals(start, end, subtree(binding.unit, tree))
        table = standings(totals, config.leaderboard_size)
        # A month with no verified work posts nothing, but is still decided once.
        messages = [leaderboard_message(services, binding, month, table, tree)] if table else []
        if await found.points.post_leaderboard(binding.chat_id, binding.unit, month, now, messages):
            acted += 1
    return acted


def leaderboard_message(
    services: Services, binding: Binding, month: str, table: list[Standing], tree: UnitTree
) -> Outgoing:
    """Returns the month's standings for a group (names masked)."""
    lines = [
        services.texts("points.board_line", binding.lang, rank=s.rank, name=s.name, points=s.points)
        for s in table
    ]
    text = services.texts(
        "points.board",
        binding.lang,
        month=month,
        area=tree.get(binding.unit).name,
        lines=Raw("\n".join(lines)),
    )
    return outgoing.message(binding.chat_id, text)
