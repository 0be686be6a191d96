"""What every web route needs: the services (store, settings, texts, clock) and the bot's
Application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services import Services


@dataclass(frozen=True)
class Web:
    services: Services
    application: Any  # telegram.ext.Application
