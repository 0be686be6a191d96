"""What the wish features decide with: the nag policy from the settings."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.wishes import NagPolicy
from bot.services import Services


def policy(services: Services) -> NagPolicy:
    config = services.settings.volunteers
    return NagPolicy(
        unclaimed=timedelta(hours=config.wish_unclaimed_hours),
        stalled=timedelta(days=config.wish_stalled_days),
        max_nags=config.wish_max_nags,
    )
