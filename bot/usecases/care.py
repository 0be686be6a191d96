"""What the care features decide with: the 五必访 policy from the settings."""

from __future__ import annotations

from datetime import time

from bot.domain.care import (
    CarePolicy,
    QuietHours,
)
from bot.services import Services
from bot.settings import quiet_hours


def care_policy(services: Services) -> CarePolicy:
    """Returns the [care] timings with the office's time zone."""
    c = services.settings.care
    return CarePolicy(
        tz=services.tz,
        lead_days=c.reminder_lead_days,
        notify_at=time.fromisoformat(c.notify_at),
        grace_days=c.grace_days,
        nag_every_days=c.nag_every_days,
        escalate_after_days=c.escalate_after_days,
        not_home_retry_days=c.not_home_retry_days,
        quiet=QuietHours(*quiet_hours(services.settings.deadlines.quiet_hours)),
    )
