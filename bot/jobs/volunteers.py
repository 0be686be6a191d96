"""Sweeps for volunteers (listed in bot/app.py SWEEPS): each asks storage what is due, through an
index, and hands every item to its use case, which acts with compare-and-set.

- nag_wishes: open wishes nobody claimed, or claimed ones not done, nag the staff over them.
- remind_activities: a day and an hour before an activity, everyone going is reminded.
- post_leaderboards: after the month turns, each volunteer group gets last month's
  standings, exactly once per (group, month).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.points import leaderboard_month
from bot.services import Services
from bot.usecases.activities import remind
from bot.usecases.results import Done
from bot.usecases.volunteers import post_leaderboard
from bot.usecases.wishes import nag_wish


async def nag_wishes(services: Services, now: datetime) -> int:
    """Nags staff about wishes left unclaimed or stalled; each nag moves the next one on."""
    acted = 0
    for wish in await services.store.wishes.due_nags(now):
        if isinstance(await nag_wish(services, wish, at=now), Done):
            acted += 1
    return acted


async def remind_activities(services: Services, now: datetime) -> int:
    """Sends the day-before and hour-before reminders; after downtime only the latest one."""
    acted = 0
    for activity in await services.store.activities.due_reminders(now):
        if isinstance(await remind(services, activity, at=now), Done):
            acted += 1
    return acted


async def post_leaderboards(services: Services, now: datetime) -> int:
    """Posts last month's standings to every volunteer group that has not had them."""
    config = services.settings.volunteers
    month = leaderboard_month(now, services.tz, config.leaderboard_day, config.leaderboard_hour)
    if month is None:
        return 0
    acted = 0
    for binding in await services.store.points.leaderboard_due(month):
        if isinstance(await post_leaderboard(services, binding, month, at=now), Done):
            acted += 1
    return acted
