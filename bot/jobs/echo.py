"""The echo sweep: posts closed, verified cases to the 回音壁 channel, each once."""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from bot.usecases.echo import post_due


async def post_echoes(services: Services, now: datetime) -> int:
    """Posts the cases the verify commit marked due (none while no channel is configured)."""
    return await post_due(services, at=now)
