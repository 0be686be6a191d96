"""`griddesk backup` during a burst of reports on the real running bot, then `griddesk restore`."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from storage.backup import DatabaseLock
from tests.e2e.harness import REPO, Griddesk
from tests.e2e.people import Drafts
from tests.fakebotapi import FakeBotApi

# `griddesk backup`/`restore` copy the SQLite file (PostgreSQL: pg_dump).
pytestmark = pytest.mark.sqlite_only

RESIDENTS = [6101 + i for i in range(10)]
REPORTS_EACH = 60  # at most 600 in all: the burst goes on until the backup has been taken
BACKUP_AFTER = 30  # reports stored when the backup starts


async def report_many(
    drafts: Drafts, fake: FakeBotApi, user_id: int, backed_up: asyncio.Event
) -> int:
    """Reports until the backup has been taken (and two more), at most REPORTS_EACH; returns
    how many."""
    nonce, after = "", 0
    for k in range(REPORTS_EACH):
        nonce = await drafts.report(fake.user(user_id), f"{user_id}-{k} 路灯不亮", nonce=nonce)
        after += backed_up.is_set()
        if after >= 2:
            return k + 1
    return REPORTS_EACH


def told_numbers(fake: FakeBotApi) -> set[str]:
    """Returns the case numbers the residents have been sent so far."""
    return {
        number
        for call in fake.calls_of("sendMessage", ok=True)
        if call.chat_id in RESIDENTS
        for number in re.findall(r"R\d{6}", str(call.params.get("text", "")))
    }


async def griddesk_command(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def pending_submits(path: Path) -> int:
    """Returns how many submit presses the database holds stored but not yet processed."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM inbox WHERE state = 'new' AND payload LIKE ?",
                ("%newreport:send:%",),
            ).fetchone()[0]
        )
    finally:
        conn.close()


def numbers_in(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {f"R{row[0]:06d}" for row in conn.execute("SELECT id FROM reports")}
    finally:
        conn.close()


async def test_a_backup_during_a_burst_holds_every_acknowledged_report_and_restores(
    fake: FakeBotApi, griddesk: Griddesk, tmp_path: Path
):
    await griddesk.start()
    drafts = Drafts(griddesk)
    watcher = asyncio.create_task(drafts.watch())
    await asyncio.gather(*(drafts.register(fake.user(uid, f"居民{uid}")) for uid in RESIDENTS))
    backed_up = asyncio.Event()
    burst = asyncio.gather(*(report_many(drafts, fake, uid, backed_up) for uid in RESIDENTS))
    copy = tmp_path / "backups" / "during-burst.sqlite3"
    try:
        await griddesk.wait_db(
            lambda g: (
                (g.scalar("SELECT COUNT(*) FROM reports") or 0) >= BACKUP_AFTER
                and told_numbers(fake)
            ),
            timeout=120,
            what=f"{BACKUP_AFTER} reports stored and a number told",
        )
        told_before = told_numbers(fake)
        code, out, err = await griddesk_command(
            "backup", "--config", str(griddesk.config), "--to", str(copy)
        )
        stored_after = griddesk.scalar("SELECT COUNT(*) FROM reports")
        backed_up.set()

        # While the bot runs, a restore is refused and changes nothing.
        refused = await griddesk_command(
            "restore", "--config", str(griddesk.config), "--from", str(copy)
        )
        submitted = sum(await asyncio.wait_for(burst, timeout=300))
    finally:
        watcher.cancel()
        burst.cancel()

    assert code == 0, err
    assert out.startswith(f"{copy}: ") and "integrity check ok" in out
    in_copy = numbers_in(copy)
    assert told_before <= in_copy  # every number a resident was told is in the copy
    assert BACKUP_AFTER <= len(in_copy) <= stored_after
    assert copy.stat().st_mode & 0o777 == 0o600
    assert refused[0] == 1 and "has this database open; stop it first" in refused[2]
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM reports") == submitted,
        what="every report of the burst stored",
    )
    assert len(in_copy) < submitted  # it really ran during the burst

    # Stopped once Telegram holds no unconfirmed update: one would come again after the restore
    # and be applied to the restored state (a stale press can match a restored draft).
    await fake.wait_for(lambda: fake.pending_updates() == [], what="every update confirmed")
    await griddesk.stop()
    code, out, err = await griddesk_command(
        "restore", "--config", str(griddesk.config), "--from", str(copy)
    )
    assert code == 0, err
    assert f"restored from {copy} ({len(in_copy)} reports" in out
    assert numbers_in(griddesk.db_path) == in_copy
    kept = list(griddesk.folder.glob("e2e.sqlite3.before-restore-*"))
    assert [p.name for p in kept if not p.name.endswith(("-wal", "-shm"))]

    # The bot starts on the restored database and serves a newcomer's report.
    await griddesk.start()
    drafts = Drafts(griddesk)
    watcher = asyncio.create_task(drafts.watch())
    try:
        newcomer = fake.user(6199, "新居民")
        await drafts.register(newcomer)
        await drafts.report(newcomer, "恢复后的新上报")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM reports WHERE reporter_id = 6199"),
            what="a report after the restore",
        )
    finally:
        watcher.cancel()
    # The copy's stored but unprocessed updates are processed after the restore, as after any
    # restart (Telegram will not send them again): its pending submits may become reports too.
    restored = numbers_in(griddesk.db_path)
    newcomers = griddesk.scalar("SELECT MAX(id) FROM reports WHERE reporter_id = 6199")
    assert in_copy < restored and newcomers > max(int(n[1:]) for n in in_copy)
    assert len(restored) <= len(in_copy) + pending_submits(copy) + 1
    assert len(restored) < submitted


async def test_a_bot_started_during_a_restore_exits_1_saying_why(griddesk: Griddesk):
    lock = DatabaseLock(griddesk.db_path)
    assert lock.acquire(exclusive=True)  # what `griddesk restore` holds while it works
    try:
        await griddesk.start(wait=False)
        assert griddesk.process is not None
        code = await asyncio.wait_for(griddesk.process.wait(), timeout=60)
    finally:
        lock.release()
    assert code == 1
    assert "a restore is replacing this database; try again" in griddesk.log_tail()
    assert not griddesk.db_path.exists()  # nothing was created under the restore's feet
