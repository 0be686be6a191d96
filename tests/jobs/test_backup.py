"""The daily backup sweep in the real Application: once a day from [backup] hour, rotated."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.app import SWEEPS
from bot.jobs.backup import daily_backup
from bot.settings import Settings
from storage import backup
from tests.conftest import Harness

ADMIN_CHAT = 777
# 2026-11-24 02:00 UTC is 10:00 in Shanghai; the backup hour is 03:00 local.
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)  # 02:30 on the 25th in Shanghai


@pytest.fixture
def settings(config_path: Path) -> Settings:
    text = config_path.read_text(encoding="utf-8")
    text = text.replace(
        'token = "123456:TEST-TOKEN"', f'token = "123456:TEST-TOKEN"\nadmin_chat_id = {ADMIN_CHAT}'
    )
    text += '\n[backup]\ndir = "backups"\nhour = 3\nkeep = 2\n'
    config_path.write_text(text, encoding="utf-8")
    return settings_module.load(config_path)


def folder_of(harness: Harness) -> Path:
    folder = harness.services.settings.backup_dir()
    assert folder is not None
    return folder


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("griddesk-*"))


async def test_one_backup_a_day_from_the_configured_hour(harness: Harness):
    services, folder = harness.services, folder_of(harness)

    assert await daily_backup(services, NIGHT) == 0  # 02:30: not yet
    assert not folder.exists() or names(folder) == []

    assert await daily_backup(services, NIGHT + timedelta(hours=1)) == 1  # 03:30 on the 25th
    made = folder / "griddesk-2026-11-25.sqlite3"
    assert names(folder) == [made.name]
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    conn = sqlite3.connect(made)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM units").fetchone()[0] > 0
    conn.close()
    inode = made.stat().st_ino

    # Later passes that day, and a restart (a new process sees the file), make no other.
    assert await daily_backup(services, NIGHT + timedelta(hours=9)) == 0
    assert made.stat().st_ino == inode and names(folder) == [made.name]


async def test_the_oldest_backups_beyond_keep_are_deleted(harness: Harness):
    folder = folder_of(harness)
    folder.mkdir(parents=True)
    for day in range(20, 24):
        (folder / f"griddesk-2026-11-{day}.sqlite3").write_bytes(b"old")
    (folder / "before-the-move.sqlite3").write_bytes(b"the operator's own")
    crashed = folder / ".griddesk-2026-11-23.sqlite3.tmp-99999"  # a backup killed half-way
    crashed.write_bytes(b"half a copy")

    assert await daily_backup(harness.services, MORNING) == 1

    assert names(folder) == ["griddesk-2026-11-23.sqlite3", "griddesk-2026-11-24.sqlite3"]
    assert (folder / "before-the-move.sqlite3").exists()
    assert not crashed.exists()


async def test_a_second_instance_holding_the_claim_keeps_this_one_from_backing_up(
    harness: Harness,
):
    folder = folder_of(harness)
    with backup.claim(folder) as mine:
        assert mine
        assert await daily_backup(harness.services, MORNING) == 0
        assert names(folder) == []
    assert await daily_backup(harness.services, MORNING + timedelta(minutes=1)) == 1


async def test_a_failed_backup_tells_the_admin_chat_and_waits_an_hour(harness: Harness):
    folder = folder_of(harness)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be")

    assert await daily_backup(harness.services, MORNING) == 0
    await harness.deliver()
    assert len(harness.texts_to(ADMIN_CHAT)) == 1
    assert "每日备份失败" in harness.last_text(ADMIN_CHAT)

    folder.unlink()
    assert await daily_backup(harness.services, MORNING + timedelta(minutes=30)) == 0
    assert not folder.exists()
    assert await daily_backup(harness.services, MORNING + timedelta(minutes=61)) == 1
    assert names(folder) == ["griddesk-2026-11-24.sqlite3"]


async def test_the_daily_backup_is_the_last_sweep_of_a_pass(harness: Harness):
    assert SWEEPS[-1] == ("backup", daily_backup)
    # Without [backup] dir nothing is ever written.
    harness.services.settings.backup.dir = None
    assert await daily_backup(harness.services, MORNING) == 0
