"""The daily backup ([backup] dir, hour, keep): one verified copy a day, the oldest rotated out.

From `hour` (local time) on, the first sweep pass of the day that finds no backup of the day
takes the backup folder's lock, checks again and copies the database in a worker thread, so
the bot keeps serving. A restart or a second instance finds the day's file (or the lock held)
and does nothing. A failure is logged and told to the admin chat, and tried again an hour later.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.services import Services
from storage import backup
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

PATTERN = "griddesk-????-??-??.sqlite3"
RETRY_AFTER = timedelta(hours=1)

# When the last attempt failed, per backup folder (a failure is not retried every pass).
_failed_at: dict[Path, datetime] = {}


def backup_name(day: date) -> str:
    """Returns the file name of DAY's backup (names sort by date, which rotation relies on)."""
    return f"griddesk-{day:%Y-%m-%d}.sqlite3"


async def daily_backup(services: Services, now: datetime) -> int:
    """Backs the database up once a day from [backup] hour; returns 1 if it made one."""
    settings = services.settings
    folder = settings.backup_dir()
    if folder is None:
        return 0
    local = now.astimezone(services.tz)
    if local.hour < settings.backup.hour:
        return 0
    target = folder / backup_name(local.date())
    failed = _failed_at.get(folder)
    if target.exists() or (failed is not None and now - failed < RETRY_AFTER):
        return 0
    try:
        result = await asyncio.to_thread(
            _backup_once, settings.database_path(), target, folder, settings.backup.keep
        )
    except (backup.BackupError, OSError) as exc:
        _failed_at[folder] = now
        log.error("daily backup failed: %s", exc)
        admin = settings.telegram.admin_chat_id
        if admin is not None:
            text = services.texts("backup.failed", None, error=str(exc))
            await services.outbox.send(
                [Outgoing(admin, "sendMessage", {"text": text, "parse_mode": "HTML"})], now
            )
        return 0
    _failed_at.pop(folder, None)
    return result


def _backup_once(db_path: Path, target: Path, folder: Path, keep: int) -> int:
    with backup.claim(folder) as mine:
        if not mine or target.exists():
            return 0
        backup.remove_leftovers(folder, PATTERN)
        result = backup.backup(db_path, target)
        removed = backup.rotate(folder, PATTERN, keep)
    log.info(
        "daily backup %s: %d reports, %.1f MB in %.1f s; %d old backups deleted",
        target.name,
        result.reports,
        result.size / 1e6,
        result.seconds,
        len(removed),
    )
    return 1
