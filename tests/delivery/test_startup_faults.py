"""A storage fault already present at start-up (opening the database, migrations, the config
sync) is waited out like one met while running: the admin chat is told once when it starts and
once when it ends, and start-up then completes. A bug or a restore in progress is raised."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram.ext import Application
from telegram.request import HTTPXRequest

import bot.app
from bot.app import build_application, initialize, shutdown
from bot.faults import Faults
from bot.sender import Sender
from bot.settings import Settings
from storage.backup import DatabaseLock
from storage.db import Database, DatabaseBusy
from storage.pg import PgDatabase
from tests.conftest import ADMIN
from tests.fakebotapi import FakeBotApi
from tests.fakes import FakeClock
from tests.storage_faults import FullDiskFromOpen, locked, short_busy_timeouts

# These inject SQLite's own faults into its file and connection (tests/storage_faults.py): a
# full disk, the file's lock held by another process. PostgreSQL's faults need their own.
SQLITE_FILE_FAULTS = pytest.mark.skipif(
    os.environ.get("GRIDDESK_TEST_BACKEND") == "postgresql",
    reason="injects SQLite's file faults (tests/storage_faults.py)",
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        api.user(ADMIN).send_text("/start")  # the admin chat exists for the notices
        yield api


@pytest.fixture
async def app(settings: Settings, clock: FakeClock, fake: FakeBotApi) -> AsyncIterator[Application]:
    """The Application, built but not initialised (start-up is what these tests do)."""
    settings.telegram.admin_chat_id = ADMIN
    request = HTTPXRequest(read_timeout=0.5, connect_timeout=0.5, connection_pool_size=4)
    application = build_application(
        settings, token=settings.telegram.token, api_url=fake.api_url, request=request,
        clock=clock,
    )  # fmt: skip
    try:
        yield application
    finally:
        await shutdown(application)


async def migrated(settings: Settings) -> None:
    """Creates the database with every migration applied, as a bot that ran before left it."""
    await (await Database(settings.database_path()).open()).close()


def opened_and_closed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each Database open and close, to show a failed attempt leaves nothing open."""
    events: list[str] = []
    for cls in (Database, PgDatabase):  # PostgreSQL's opens and closes its own way
        real_open, real_close = cls.__dict__["open"], cls.__dict__["close"]

        async def open_(db: Database, real_open: Any = real_open) -> Database:
            events.append("open")
            return await real_open(db)  # type: ignore[no-any-return]

        async def close(db: Database, real_close: Any = real_close) -> None:
            events.append("close")
            await real_close(db)

        monkeypatch.setattr(cls, "open", open_)
        monkeypatch.setattr(cls, "close", close)
    return events


def admin_notices(fake: FakeBotApi) -> list[str]:
    return [text for text in fake.texts(ADMIN) if "数据库" in text]


async def end_of_fault(app: Application, faults: Faults, fake: FakeBotApi) -> None:
    """Runs the fault watcher until it declares the fault over, then delivers the outbox."""
    watcher = asyncio.create_task(faults.watch())
    try:
        await fake.wait_for(lambda: faults.kind is None, timeout=10, what="the end")
    finally:
        watcher.cancel()
    await Sender(app.bot, app.bot_data["services"]).drain_all()


@SQLITE_FILE_FAULTS
async def test_a_full_disk_during_the_first_migrations_is_waited_out(
    app, fake, settings, monkeypatch
):
    events = opened_and_closed(monkeypatch)
    disk = FullDiskFromOpen(monkeypatch)  # a new database: the migrations cannot be written
    faults = Faults(app.bot, settings=settings, settle=0.0)
    starting = asyncio.create_task(initialize(app, faults))
    try:
        await fake.wait_for(lambda: disk.refused >= 3, timeout=20, what="three refused starts")
        assert not starting.done()
        assert faults.kind == "full"
        notices = admin_notices(fake)
        assert len(notices) == 1 and "磁盘已满" in notices[0]  # straight via the Bot API
        disk.full = False
        services = await asyncio.wait_for(starting, timeout=20)
    finally:
        starting.cancel()
    # Every refused attempt closed what it had opened: only the last one is open.
    assert events.count("open") == events.count("close") + 1 >= 4
    row = await services.store.db.fetchone("SELECT COUNT(*) FROM units")
    assert row[0] > 0  # the config sync ran
    assert app.bot_data["services"] is services
    await end_of_fault(app, faults, fake)
    notices = admin_notices(fake)
    assert len(notices) == 2 and "已恢复" in notices[1] and "磁盘已满" in notices[1]


@SQLITE_FILE_FAULTS
async def test_a_lock_held_by_another_process_at_start_up_is_waited_out(
    app, fake, settings, monkeypatch
):
    await migrated(settings)
    short_busy_timeouts(monkeypatch)
    faults = Faults(app.bot, settings=settings, settle=0.0)
    with locked(settings.database_path()):
        starting = asyncio.create_task(initialize(app, faults))
        try:
            await fake.wait_for(lambda: admin_notices(fake), timeout=20, what="the notice")
            await asyncio.sleep(0.5)  # a few more tries against the lock
            assert not starting.done()
        except BaseException:
            starting.cancel()
            raise
    assert faults.kind == "locked"
    await asyncio.wait_for(starting, timeout=20)
    await end_of_fault(app, faults, fake)
    notices = admin_notices(fake)
    assert len(notices) == 2 and "锁定" in notices[0] and "已恢复" in notices[1], notices


async def test_a_start_without_a_fault_sends_no_notice(app, fake, settings):
    faults = Faults(app.bot, settings=settings, settle=0.0)
    await initialize(app, faults)
    assert faults.kind is None
    await Sender(app.bot, app.bot_data["services"]).drain_all()
    assert admin_notices(fake) == []


@SQLITE_FILE_FAULTS
async def test_cancelling_a_start_held_back_by_a_fault_leaves_nothing_open(
    app, fake, settings, monkeypatch
):
    events = opened_and_closed(monkeypatch)
    disk = FullDiskFromOpen(monkeypatch)
    starting = asyncio.create_task(initialize(app, Faults(app.bot, settings=settings)))
    await fake.wait_for(lambda: disk.refused >= 1, timeout=20, what="a refused start")
    starting.cancel()  # what SIGTERM does in bot/runner.py
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(starting, timeout=10)
    assert events.count("open") == events.count("close")
    assert "services" not in app.bot_data
    lock = DatabaseLock(settings.database_path())
    assert lock.acquire(exclusive=True)  # no connection of ours holds the file
    lock.release()


async def test_a_bug_at_start_up_is_raised_not_waited_out(app, fake, settings, monkeypatch):
    events = opened_and_closed(monkeypatch)

    async def broken(*args: object) -> None:
        raise RuntimeError("a bug in the config sync")

    monkeypatch.setattr(bot.app, "_load_config", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        await asyncio.wait_for(initialize(app, Faults(app.bot, settings=settings)), timeout=10)
    assert events == ["open", "close"]  # tried once, closed
    assert admin_notices(fake) == []


@SQLITE_FILE_FAULTS
async def test_a_restore_in_progress_still_refuses_the_start(app, fake, settings):
    await migrated(settings)
    restore = DatabaseLock(settings.database_path())
    assert restore.acquire(exclusive=True)  # what `griddesk restore` holds while it works
    try:
        with pytest.raises(DatabaseBusy):
            await asyncio.wait_for(initialize(app, Faults(app.bot, settings=settings)), timeout=10)
    finally:
        restore.release()
    assert admin_notices(fake) == []
