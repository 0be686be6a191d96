"""The 五必访 sweep: reminds visitors, nags on missed visits and escalates to the community once.

It asks the database only for households whose `next_at` has come (a partial index), lets the
domain decide the one thing to do for each (domain.care.decide: the highest rung reached, so
after downtime one message per household, not a burst), and writes the new stage, the event and
the messages in one compare-and-set commit: a restart or a second instance never acts twice.
The work is the use case bot/usecases/care.remind_visits.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.care import remind_visits


async def visits_due(services: Services, now: datetime) -> int:
    """Acts on every household whose next look has come; returns how many were told something."""
    return await remind_visits(services, now)
