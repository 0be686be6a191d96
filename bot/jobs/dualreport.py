"""The 双报告 sweep (listed in bot/app.py SWEEPS): from `[dualreport] day`/`hour` of a month on,
each configured work unit's contact gets last month's report, once per (work unit, month): after
downtime only the latest month, and a restart or a second instance never sends it twice."""

from __future__ import annotations

from datetime import datetime

from bot.domain.points import leaderboard_month
from bot.notices.dualreport import work_units
from bot.services import Services
from bot.usecases.dualreport import send_report
from bot.usecases.results import Done


async def monthly_reports(services: Services, now: datetime) -> int:
    """Sends last month's report to every work unit that has not had it; returns how many."""
    config = services.settings.dualreport
    if not config.enabled or not services.settings.work_units:
        return 0
    month = leaderboard_month(now, services.tz, config.day, config.hour)
    if month is None:
        return 0
    done = await services.store.dualreports.sent(month)
    acted = 0
    for unit in work_units(services.settings):
        if unit.code not in done and isinstance(
            await send_report(services, unit, month, at=now), Done
        ):
            acted += 1
    return acted
