"""Sweeps for bookings (listed in bot/app.py SWEEPS).

- remind_bookings: a day and an hour before a confirmed booking, the booker is reminded (after
  downtime only the latest; nothing during quiet hours), each cleared with compare-and-set.
- forget_purposes: the purpose a resident typed goes [bookings] purpose_days after the slot.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases import bookings
from bot.usecases.results import Done


async def remind_bookings(services: Services, now: datetime) -> int:
    """Sends the day-before and hour-before reminders due; after downtime only the latest."""
    if bookings.quiet(services).covers(now, services.tz):
        return 0  # they wait for the end of the quiet hours
    acted = 0
    for booking in await services.store.bookings.due_reminders(now):
        if isinstance(await bookings.remind(services, booking, at=now), Done):
            acted += 1
    return acted


async def forget_purposes(services: Services, now: datetime) -> int:
    """Wipes the purposes past their retention, a batch per pass."""
    return await bookings.forget_purposes(services, at=now)
