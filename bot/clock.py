"""The one place that reads the time; tests and the bench inject their own clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clock_from_env() -> Clock:
    """Returns the system clock, shifted by GRIDDESK_CLOCK_OFFSET seconds if set.

    The offset lets end-to-end tests stop the bot "for six hours" without waiting six hours.
    """
    offset = float(os.environ.get("GRIDDESK_CLOCK_OFFSET", "0") or 0)
    if not offset:
        return system_clock
    shift = timedelta(seconds=offset)
    return lambda: datetime.now(UTC) + shift
