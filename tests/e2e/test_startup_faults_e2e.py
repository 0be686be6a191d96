"""The real `griddesk run` process started while the database is locked by another process or
its disk is full: it does not exit, tells the admin chat once, starts once the fault clears,
tells the admin chat it is over, and processes every update sent meanwhile exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import pytest

from storage.db import Database
from tests.e2e.harness import ADMIN_CHAT, Griddesk
from tests.e2e.test_faults_e2e import INJECT, admin_texts, fill, on_folder, tmpfs
from tests.fakebotapi import FakeBotApi

# Faults of SQLite's file at start-up.
pytestmark = pytest.mark.sqlite_only

WAITING = [5201 + i for i in range(10)]  # residents who write while start-up waits
# The lock is held until the test has seen the start notice (a lock shorter than SQLite's
# busy_timeout, 10 s, is waited out inside SQLite itself, without a fault), then released on a
# line from the test; at most LOCK_SECONDS if the test never says so.
LOCK_SECONDS = 90

HOLD_LOCK = f"""
import select, sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
select.select([sys.stdin], [], [], {LOCK_SECONDS})
conn.execute("ROLLBACK")
print(f"released {{time.time()!r}}", flush=True)
conn.close()
"""


async def migrated(path: Path) -> None:
    """Creates the database as a bot that ran before left it (every migration applied)."""
    await (await Database(path).open()).close()


def write_meanwhile(fake: FakeBotApi) -> None:
    fake.user(ADMIN_CHAT).send_text("/start")  # the admin chat exists for the notices
    for uid in WAITING:
        fake.user(uid).send_text("/start")


async def started_and_caught_up(fake: FakeBotApi, griddesk: Griddesk) -> None:
    """Waits for the first poll, the backlog answered and the end notice; checks all of it."""
    await fake.wait_for(
        lambda: fake.calls_of("getUpdates") or griddesk.exited(), timeout=60, what="a poll"
    )
    assert not griddesk.exited(), griddesk.log_tail()
    await griddesk.wait_db(
        lambda g: (
            g.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == fake.update_count
            and all(fake.texts(uid) for uid in WAITING)
        ),
        timeout=60,
        what="the updates sent while starting processed and answered",
    )
    await fake.wait_for(lambda: len(admin_texts(fake)) >= 2, timeout=30, what="the end notice")
    await asyncio.sleep(1)  # nothing more may come
    told = admin_texts(fake)
    assert len(told) == 2 and "已恢复" in told[1], told
    # Processed exactly once: stored once, done, no attempt charged, one answer each.
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox") == fake.update_count
    states = griddesk.rows("SELECT state, attempts FROM inbox")
    assert {(r["state"], r["attempts"]) for r in states} == {("done", 0)}
    assert fake.pending_updates() == []
    answers = {len(fake.texts(uid)) for uid in WAITING}
    assert len(answers) == 1, answers
    queued = griddesk.rows(
        "SELECT chat_id, COUNT(*) AS n FROM outbox WHERE chat_id IN (SELECT value FROM"
        " json_each(?)) GROUP BY chat_id",
        (str(WAITING),),
    )
    assert {r["chat_id"]: r["n"] for r in queued} == dict.fromkeys(WAITING, answers.pop())
    assert griddesk.log_tail(400).count("storage fault (") == 2  # one when it began, one at end


async def test_a_lock_held_by_another_process_when_the_bot_starts_is_waited_out(
    fake: FakeBotApi, griddesk: Griddesk
):
    await migrated(griddesk.db_path)
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD_LOCK,
        str(griddesk.db_path),
        stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), timeout=30) == b"locked\n"
        write_meanwhile(fake)
        await griddesk.start(wait=False)
        await fake.wait_for(lambda: admin_texts(fake), timeout=60, what="start notice")
        assert "锁定" in admin_texts(fake)[0]
        assert not griddesk.exited(), griddesk.log_tail()
        assert fake.calls_of("getUpdates") == []  # nothing is fetched before it can be stored
        holder.stdin.write(b"release\n")
        await holder.stdin.drain()
        line = await asyncio.wait_for(holder.stdout.readline(), timeout=30)
        assert line.startswith(b"released ")
        released = time.monotonic()  # read at once: the holder prints as it releases
    finally:
        with contextlib.suppress(ProcessLookupError):
            holder.kill()
        await holder.wait()
    await started_and_caught_up(fake, griddesk)
    print(f"\nthe bot polled {fake.calls_of('getUpdates')[0].at - released:.2f} s after the lock")
    assert await griddesk.stop() == 0


async def test_a_full_disk_when_the_bot_starts_is_waited_out(
    fake: FakeBotApi, griddesk: Griddesk, tmp_path: Path
):
    with tmpfs(tmp_path / "disk", "24m") as disk:
        on_folder(griddesk, disk)
        await migrated(griddesk.db_path)
        filler = fill(disk)  # the config sync cannot write
        write_meanwhile(fake)
        await griddesk.start(wait=False)
        await fake.wait_for(lambda: admin_texts(fake), timeout=30, what="the start notice")
        await asyncio.sleep(2)  # a few more rounds of retries against the full disk
        assert not griddesk.exited(), griddesk.log_tail()
        assert len(admin_texts(fake)) == 1
        assert fake.calls_of("getUpdates") == []
        filler.unlink()
        await started_and_caught_up(fake, griddesk)
        assert await griddesk.stop() == 0


async def test_a_signal_stops_a_start_held_back_by_a_fault_at_once(
    fake: FakeBotApi, griddesk: Griddesk, tmp_path: Path
):
    flag = tmp_path / "disk-full"
    flag.touch()  # SQLITE_FULL injected in the driver from the start
    griddesk.env_extra.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(INJECT), os.environ.get("PYTHONPATH")])),
        GRIDDESK_TEST_DISK_FULL=str(flag),
    )
    write_meanwhile(fake)
    await griddesk.start(wait=False)
    await fake.wait_for(lambda: admin_texts(fake), timeout=30, what="the start notice")
    assert "磁盘已满" in admin_texts(fake)[0]
    began = time.monotonic()
    assert await griddesk.stop() == 0  # not 1: a signal, not a failure
    print(f"\nstopped {time.monotonic() - began:.2f} s after SIGTERM while waiting at start-up")
    assert "griddesk stopped while starting" in griddesk.log_tail()
    assert len(fake.pending_updates()) == len(WAITING) + 1  # nothing confirmed, nothing lost
