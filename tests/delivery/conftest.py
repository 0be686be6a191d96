"""The real Application and services against the fake Bot API server, with injected clocks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.app import build_application, initialize, shutdown
from bot.sender import Sender
from bot.services import Services
from bot.settings import Settings
from tests.fakebotapi import FakeBotApi
from tests.fakes import FakeClock


class Monotonic:
    """A monotonic clock that moves only when told to (for pacing, without sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Live:
    fake: FakeBotApi
    app: Application
    services: Services
    sender: Sender
    clock: FakeClock
    monotonic: Monotonic

    def advance(self, seconds: float) -> None:
        """Moves both the wall clock (not_before) and the monotonic clock (pacing)."""
        self.clock.advance(seconds=seconds)
        self.monotonic.now += seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def live(settings: Settings, clock: FakeClock, fake: FakeBotApi) -> AsyncIterator[Live]:
    settings.telegram.admin_chat_id = 901
    request = HTTPXRequest(read_timeout=0.5, connect_timeout=0.5, connection_pool_size=4)
    app = build_application(
        settings, token=settings.telegram.token, api_url=fake.api_url, request=request,
        clock=clock,
    )  # fmt: skip
    services = await initialize(app)
    monotonic = Monotonic()
    fake.monotonic = monotonic  # the fake judges Telegram's limits on the same clock
    sender = Sender(app.bot, services, monotonic=monotonic)
    try:
        yield Live(fake, app, services, sender, clock, monotonic)
    finally:
        await shutdown(app)
