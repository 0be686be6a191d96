"""The real `griddesk run` process through a full disk and a lock held by another process for
30 s: it stays up, the admin chat is told when the fault starts and when it ends, and every
update that arrived meanwhile is processed exactly once afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import ADMIN_CHAT, Griddesk
from tests.fakebotapi import FakeBotApi

# Faults of SQLite's file: a full disk under it, its writer lock held.
pytestmark = pytest.mark.sqlite_only

INJECT = Path(__file__).parent / "inject"  # sitecustomize.py: SQLITE_FULL from the driver
BEFORE = 5101  # a resident whose /start is processed before the fault: the expected answer
DURING = [5102 + i for i in range(20)]  # residents who write while the fault lasts
LOCK_SECONDS = 30


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """Mounts a tmpfs of SIZE on FOLDER meanwhile; skips the test when mounting is impossible."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode}); "
            "test_an_injected_sqlite_full_... covers the same path with SQLITE_FULL injected"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Writes a filler file in FOLDER until the file system has no byte left; returns it.

    The WAL is emptied first: SQLite reuses a checkpointed WAL file in place, and a write
    that needs no new byte on disk would succeed however full the disk is.
    """
    database = sqlite3.connect(folder / "e2e.sqlite3", timeout=10)
    try:
        for _ in range(100):
            if database.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the WAL could not be checkpointed")
    finally:
        database.close()
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12, 1):
            block = b"\0" * chunk
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return filler


def on_folder(griddesk: Griddesk, folder: Path) -> None:
    """Moves the bot's database (not its log or config) to FOLDER."""
    text = griddesk.config.read_text(encoding="utf-8")
    database = folder / "e2e.sqlite3"
    griddesk.config.write_text(
        text.replace('path = "e2e.sqlite3"', f'path = "{database}"'), encoding="utf-8"
    )
    griddesk.db_path = database


async def answered_before(fake: FakeBotApi, griddesk: Griddesk) -> int:
    """Starts BEFORE's conversation and returns how many messages /start gets in answer."""
    fake.user(ADMIN_CHAT).send_text("/start")  # the admin chat exists for the notices
    fake.user(BEFORE).send_text("/start")
    await griddesk.wait_db(
        lambda g: (
            g.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == 2
            and g.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')") == 0
        ),
        what="the first /start answered",
    )
    answers = len(fake.texts(BEFORE))
    assert answers >= 1
    return answers


def admin_texts(fake: FakeBotApi) -> list[str]:
    """Returns the fault notices the admin chat got (it is staff: /start greets it too)."""
    return [text for text in fake.texts(ADMIN_CHAT) if "数据库" in text]


def assert_processed_exactly_once(fake: FakeBotApi, griddesk: Griddesk, answers: int) -> None:
    """Every update stored once, done, no attempt charged, each resident answered once."""
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox") == fake.update_count
    states = griddesk.rows("SELECT state, attempts FROM inbox")
    assert {(r["state"], r["attempts"]) for r in states} == {("done", 0)}
    assert fake.pending_updates() == []
    for uid in DURING:
        assert len(fake.texts(uid)) == answers, (uid, fake.texts(uid))
    queued = griddesk.rows(
        "SELECT chat_id, COUNT(*) AS n FROM outbox WHERE chat_id IN (SELECT value FROM"
        " json_each(?)) GROUP BY chat_id",
        (str(DURING),),
    )
    assert {r["chat_id"]: r["n"] for r in queued} == dict.fromkeys(DURING, answers)


async def all_answered(fake: FakeBotApi, griddesk: Griddesk, answers: int) -> None:
    await griddesk.wait_db(
        lambda g: (
            g.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == fake.update_count
            and all(len(fake.texts(uid)) >= answers for uid in DURING)
        ),
        timeout=90,
        what="the backlog processed and answered",
    )


async def full_disk_round(
    fake: FakeBotApi, griddesk: Griddesk, make_full: object, make_free: object
) -> None:
    """Residents write while the disk is full; the bot stays up and catches up once it is not."""
    answers = await answered_before(fake, griddesk)
    make_full()  # type: ignore[operator]
    for uid in DURING:
        fake.user(uid).send_text("/start")
    await fake.wait_for(lambda: admin_texts(fake), timeout=60, what="the start notice")
    assert "磁盘已满" in admin_texts(fake)[0]
    await asyncio.sleep(3)  # a few more rounds of retries against the full disk
    assert not griddesk.exited(), griddesk.log_tail()
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == 2
    assert len(fake.pending_updates()) == len(DURING)  # not confirmed: not stored
    make_free()  # type: ignore[operator]
    await all_answered(fake, griddesk, answers)
    await fake.wait_for(lambda: len(admin_texts(fake)) >= 2, timeout=60, what="the end notice")
    await asyncio.sleep(1)  # nothing more may come
    assert not griddesk.exited()
    told = admin_texts(fake)
    assert len(told) == 2 and "已恢复" in told[1], told
    assert_processed_exactly_once(fake, griddesk, answers)


async def test_a_real_full_filesystem_is_waited_out_and_every_update_processed_once(
    fake: FakeBotApi, griddesk: Griddesk, tmp_path: Path
):
    with tmpfs(tmp_path / "disk", "24m") as disk:
        on_folder(griddesk, disk)
        await griddesk.start()
        filler: list[Path] = []
        await full_disk_round(
            fake, griddesk, lambda: filler.append(fill(disk)), lambda: filler[0].unlink()
        )
        assert await griddesk.stop() == 0


async def test_an_injected_sqlite_full_is_waited_out_and_every_update_processed_once(
    fake: FakeBotApi, griddesk: Griddesk, tmp_path: Path
):
    flag = tmp_path / "disk-full"
    griddesk.env_extra.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(INJECT), os.environ.get("PYTHONPATH")])),
        GRIDDESK_TEST_DISK_FULL=str(flag),
    )
    await griddesk.start()
    await full_disk_round(fake, griddesk, flag.touch, flag.unlink)
    assert await griddesk.stop() == 0


HOLD_LOCK = f"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep({LOCK_SECONDS})
conn.execute("ROLLBACK")
print(f"released {{time.time()!r}}", flush=True)
conn.close()
"""


async def test_a_lock_held_by_another_process_for_30_s_is_waited_out(
    fake: FakeBotApi, griddesk: Griddesk
):
    await griddesk.start()
    answers = await answered_before(fake, griddesk)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_LOCK, str(griddesk.db_path), stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdout is not None
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), timeout=30) == b"locked\n"
        for uid in DURING:
            fake.user(uid).send_text("/start")
        await fake.wait_for(lambda: admin_texts(fake), timeout=LOCK_SECONDS, what="start notice")
        assert "锁定" in admin_texts(fake)[0]
        assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == 2
        line = await asyncio.wait_for(holder.stdout.readline(), timeout=LOCK_SECONDS + 30)
        assert line.startswith(b"released ")
        released = float(line.split()[1])  # the wall clock at the holder's ROLLBACK
    finally:
        with contextlib.suppress(ProcessLookupError):
            holder.kill()
        await holder.wait()
    assert not griddesk.exited(), griddesk.log_tail()
    await all_answered(fake, griddesk, answers)
    caught_up = time.time() - released
    await fake.wait_for(lambda: len(admin_texts(fake)) >= 2, timeout=60, what="the end notice")
    await asyncio.sleep(1)
    told = admin_texts(fake)
    assert len(told) == 2 and "已恢复" in told[1], told
    assert_processed_exactly_once(fake, griddesk, answers)
    print(
        f"\nbacklog of {len(DURING)} updates processed and answered {caught_up:.2f} s after a"
        f" {LOCK_SECONDS} s lock by another process ended"
    )
    assert await griddesk.stop() == 0
