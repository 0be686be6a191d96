"""The 码上安全 sweep: checklists on the office's cadence, reminders, and missed checks told
once to the grid worker.

It asks the database only for approved shops whose `next_at` has come (a partial index), lets
the domain decide the one thing to do for each (domain.merchants.decide: after downtime the
highest step reached, once), and writes each step with compare-and-set: a restart or a second
instance never acts twice. The work is the use case bot/usecases/merchants.sweep.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.merchants import sweep


async def merchant_checks(services: Services, now: datetime) -> int:
    """Acts on every shop whose next look has come; returns how many were acted on."""
    return await sweep(services, now)
