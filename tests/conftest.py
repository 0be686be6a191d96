"""Shared fixtures: a real SQLite file, the real Application, a recording Bot API, a fake clock."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot import settings as settings_module
from bot.app import build_application, initialize, open_services, shutdown
from bot.sender import Sender
from bot.services import Services
from bot.settings import Settings
from storage.db import Database, current_update
from storage.uow import Store
from tests.fakes import FakeClock, RecordingRequest

DATA = Path(__file__).parent / "data"
E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks every test under tests/e2e/ `e2e` (the real process: slow), in this one place."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)


# Staff in tests/data/config.toml
WORKER_G1 = 101
WORKER_G2 = 102
HEAD_G1 = 103
COMMUNITY = 201
STREET = 301
PROPERTY = 401
ADMIN = 901
RESIDENT = 5001
RESIDENT_2 = 5002


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    return path


@pytest.fixture
def settings(config_path: Path) -> Settings:
    return settings_module.load(config_path)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database(tmp_path / "test.sqlite3").open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """The services on a migrated SQLite file in tmp_path, with tests/data/config.toml's units,
    categories and staff loaded, and no Application: for use cases (tests/usecases/)."""
    opened = await open_services(settings, clock)
    try:
        yield opened
    finally:
        await opened.store.close()


@pytest.fixture
def store(services: Services) -> Store:
    """The store (storage/uow.py) of the `services` fixture."""
    return services.store


class Harness:
    """Feeds updates through the real Application and delivers the outbox to the recorder."""

    def __init__(self, app: Application, request: RecordingRequest, clock: FakeClock):
        self.app = app
        self.request = request
        self.clock = clock
        self.services: Services = app.bot_data["services"]
        self.sender = Sender(app.bot, self.services)

    async def send(self, payload: dict[str, Any], *, deliver: bool = True) -> None:
        """Processes one update as the inbox processor does, then sends what it queued."""
        update_id = payload["update_id"]
        await self.services.inbox.store([payload], self.clock())
        token = current_update.set(update_id)
        try:
            await self.app.process_update(Update.de_json(payload, self.app.bot))
        finally:
            current_update.reset(token)
        failed = self.app.bot_data.get("failed_updates", set())
        assert update_id not in failed, self.app.bot_data.get("failed_errors", {}).get(update_id)
        await self.services.inbox.mark_done(update_id, self.clock())
        if deliver:
            await self.deliver()

    async def deliver(self) -> None:
        await self.sender.drain_all()

    def texts_to(self, chat_id: int) -> list[str]:
        return self.request.texts_to(chat_id)

    def last_text(self, chat_id: int) -> str:
        texts = self.texts_to(chat_id)
        assert texts, f"nothing was sent to {chat_id}"
        return texts[-1]

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """Returns (label, callback_data) of the last inline keyboard sent to CHAT_ID."""
        markup = self.request.last_markup(chat_id) or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, chat_id: int, prefix: str) -> str:
        """Returns the callback data of the last button to CHAT_ID whose data starts with PREFIX."""
        for _, data in self.buttons(chat_id):
            if data.startswith(prefix):
                return data
        raise AssertionError(f"no button {prefix!r} in {self.buttons(chat_id)}")


@pytest.fixture
async def harness(settings: Settings, clock: FakeClock) -> AsyncIterator[Harness]:
    request = RecordingRequest()
    app = build_application(settings, token=settings.telegram.token, request=request, clock=clock)
    await initialize(app)
    request.clear()  # setMyCommands at start-up
    try:
        yield Harness(app, request, clock)
        assert not request.unexpected, f"unexpected Bot API calls: {request.unexpected}"
    finally:
        await shutdown(app)
