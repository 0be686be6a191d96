"""The 下沉干部 sweep (listed in bot/app.py SWEEPS): once the configured weekday and hour of a
week have come, each cadre behind on a duty is reminded and each grid's head gets one list of
the grid's cadres behind. Each (cadre, week) and (grid, week) is claimed by inserting its row
(compare-and-set), so a restart or a second instance never tells anyone twice; after downtime
only the current week is acted on. The work is bot/usecases/cadres.remind_behind."""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.cadres import remind_behind


async def weekly_reminders(services: Services, now: datetime) -> int:
    """Reminds the cadres behind this week and lists them to their grids' heads."""
    return await remind_behind(services, now)
