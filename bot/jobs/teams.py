"""The team_reports sweep: the helpers' 工作月汇报 (monthly report) reminders and missing lists.

From [teams] report_day at report_hour (local) each part-time grid worker, building head and
entrance head who has not sent this month's report is reminded once; grace_days later each
grid's head gets one list of those still missing. Both are claimed in the commit that queues
them (bot/usecases/teams.py monthly_sweep).
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.teams import monthly_sweep


async def team_reports(services: Services, now: datetime) -> int:
    """Queues the monthly report's reminders or missing lists due at NOW; returns how many."""
    return await monthly_sweep(services, now)
