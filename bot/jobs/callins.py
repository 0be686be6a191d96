"""The call-in sweep (吹哨报到): overdue parties are nagged, then escalated to the holder and up.

The work is bot/usecases/callins.nag_due; this is the sweep's entry point.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.callins import nag_due


async def callin_deadlines(services: Services, now: datetime) -> int:
    """Takes the one due step of every overdue call-in; returns how many were taken."""
    return await nag_due(services, now)
