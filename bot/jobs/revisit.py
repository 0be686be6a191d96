"""The 回访 sweep: each new task's cards go out; an overdue call reminds, then tells the street.

The work is bot/usecases/revisit.sweep; this is the sweep's entry point.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.revisit import sweep


async def revisits(services: Services, now: datetime) -> int:
    """Takes the one due step of every due 回访 task; returns how many were taken."""
    return await sweep(services, now)
