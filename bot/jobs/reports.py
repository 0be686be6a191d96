"""The report deadline sweep (限时办结): reminders, nags, escalation up the tiers, expiry.

The work is bot/usecases/reports.escalate_due; this is the sweep's entry point.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.reports import escalate_due


async def report_deadlines(services: Services, now: datetime) -> int:
    """Takes the one due deadline step of every due report; returns how many were taken."""
    return await escalate_due(services, now)
