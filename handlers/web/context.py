"""What every web route needs: the services, the PTB application, the metrics, the secrets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from telegram.ext import Application

from bot.metrics import Prometheus
from bot.services import Services


def _nothing() -> None:
    pass


@dataclass
class Webhook:
    """Webhook mode: updates are POSTed to /telegram/<path> with this secret token."""

    path: str
    secret: str


@dataclass
class Web:
    services: Services
    application: Application
    metrics: Prometheus
    started: datetime  # when the process started (the sweep age before the first pass)
    webhook: Webhook | None = None  # set in webhook mode only
    # called after an update was stored: wakes the processor (bot/poller.py Poller.wake)
    wake: Callable[[], None] = field(default=_nothing)
    # reads slower than this answer 503 on /readyz (a locked or vanished database)
    read_timeout: float = 3.0
