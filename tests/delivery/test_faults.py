"""A locked database or a full disk: the poller, processor, sender and sweeps wait and retry,
nothing is lost, counted as a failure or sent twice, and the admin chat is told twice."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime

import pytest
from telegram.ext import MessageHandler, filters

from bot import jobs
from bot.faults import Backoff, Faults
from bot.poller import MAX_ATTEMPTS, Poller
from bot.services import Services
from storage.faults import StorageFault
from storage.outbox import Outgoing
from tests.conftest import ADMIN, RESIDENT, RESIDENT_2
from tests.delivery.conftest import Live
from tests.storage_faults import FullDisk, locked, short_busy_timeout

# These inject SQLite's own faults into its file and connection (tests/storage_faults.py): a
# full disk, the file's lock held by another process. PostgreSQL's faults need their own.
SQLITE_FILE_FAULTS = pytest.mark.skipif(
    os.environ.get("GRIDDESK_TEST_BACKEND") == "postgresql",
    reason="injects SQLite's file faults (tests/storage_faults.py)",
)


def faults_of(live: Live) -> Faults:
    return Faults(live.app.bot, live.services, settle=0.0)


async def inbox_rows(live: Live) -> list[tuple[str, int]]:
    rows = await live.services.store.db.fetchall(
        "SELECT state, attempts FROM inbox ORDER BY update_id"
    )
    return [(row["state"], row["attempts"]) for row in rows]


async def queued_to(live: Live, chat_id: int) -> int:
    row = await live.services.store.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (chat_id,)
    )
    return int(row[0]) if row else 0


@SQLITE_FILE_FAULTS
async def test_updates_are_not_confirmed_while_the_disk_is_full_and_stored_once_it_is_not(live):
    disk = FullDisk(live.services.store.db)
    disk.full = True
    resident = live.fake.user(RESIDENT)
    for word in ("一", "二", "三"):
        resident.send_text(word)
    faults = faults_of(live)
    task = asyncio.create_task(
        Poller(live.app, live.services, timeout=1, faults=faults).fetch_forever()
    )
    try:
        await live.fake.wait_for(lambda: disk.refused >= 2, timeout=20, what="two refused stores")
        assert not task.done()
        assert len(live.fake.pending_updates()) == 3  # nothing confirmed
        assert faults.kind == "full"
        disk.full = False
        await live.fake.wait_for(lambda: not live.fake.pending_updates(), timeout=20)
    finally:
        task.cancel()
    assert await inbox_rows(live) == [("new", 0)] * 3


@SQLITE_FILE_FAULTS
async def test_a_handler_meeting_a_full_disk_neither_counts_an_attempt_nor_parks(live):
    live.fake.user(RESIDENT).send_text("/start")
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    disk = FullDisk(live.services.store.db)
    disk.full = True
    p = Poller(live.app, live.services, timeout=1, faults=faults_of(live))
    for _ in range(MAX_ATTEMPTS + 1):
        with pytest.raises(StorageFault):
            await p.process_pending()
    assert disk.refused >= MAX_ATTEMPTS + 1  # the handler really tried to write each time
    assert await inbox_rows(live) == [("new", 0)]
    assert not live.app.bot_data["failed_updates"]
    disk.full = False
    assert await p.process_pending() == 1
    assert await inbox_rows(live) == [("done", 0)]
    assert await queued_to(live, RESIDENT) == 1  # answered once
    assert await queued_to(live, ADMIN) == 0  # nothing parked


@SQLITE_FILE_FAULTS
async def test_the_processor_waits_out_a_lock_held_by_another_process_then_processes_once(live):
    await short_busy_timeout(live.services.store.db)
    for uid in (RESIDENT, RESIDENT_2):
        live.fake.user(uid).send_text("/start")
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    faults = faults_of(live)
    p = Poller(live.app, live.services, timeout=1, faults=faults)
    with locked(live.services.store.db.path):
        task = asyncio.create_task(p.process_forever())
        await live.fake.wait_for(lambda: faults.kind == "locked", timeout=20, what="the lock")
        await asyncio.sleep(0.5)  # a few more tries against the lock
        assert not task.done()
    try:
        for _ in range(600):  # bounded: 30 s
            if [state for state, _ in await inbox_rows(live)] == ["done", "done"]:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    # recover() charged the oldest update once, as after any restart; the lock charged nothing.
    assert await inbox_rows(live) == [("done", 1), ("done", 0)]
    assert await queued_to(live, RESIDENT) == 1
    assert await queued_to(live, RESIDENT_2) == 1


@SQLITE_FILE_FAULTS
async def test_a_message_sent_whose_mark_could_not_be_committed_is_not_sent_again(live):
    live.fake.user(RESIDENT).send_text("/start")
    await live.services.outbox.send(
        [Outgoing(RESIDENT, "sendMessage", {"text": "您的上报已受理"})], live.clock()
    )
    disk = FullDisk(live.services.store.db)
    sender = live.sender
    real_call = sender._call

    async def call_then_fill(row):
        result = await real_call(row)
        disk.full = True  # the disk fills between the call and its "sent" mark
        return result

    sender._call = call_then_fill  # type: ignore[method-assign]
    for _ in range(3):
        with pytest.raises(Exception, match="full"):
            await sender.drain_once()
        live.advance(5)
    assert live.fake.texts(RESIDENT) == ["您的上报已受理"]
    disk.full = False
    sender._call = real_call  # type: ignore[method-assign]
    await sender.drain_once()
    row = await live.services.store.db.fetchone("SELECT state, message_id FROM outbox")
    assert row["state"] == "sent" and row["message_id"] is not None
    live.advance(5)
    await sender.drain_all()
    assert live.fake.texts(RESIDENT) == ["您的上报已受理"]  # once


@SQLITE_FILE_FAULTS
async def test_the_sender_keeps_running_through_a_fault_and_sends_what_was_queued(live):
    live.fake.user(RESIDENT).send_text("/start")
    disk = FullDisk(live.services.store.db)
    await live.services.outbox.send(
        [Outgoing(RESIDENT, "sendMessage", {"text": "一"})], live.clock()
    )
    disk.full = True  # mark_sending fails: nothing is called
    task = asyncio.create_task(live.sender.run())
    try:
        # The pacer's clock moves only when told: a second a look, so the chat is due again.
        await live.fake.wait_for(
            lambda: live.advance(1) or disk.refused >= 2, timeout=20, what="refused writes"
        )
        assert not task.done()
        assert live.fake.texts(RESIDENT) == []
        disk.full = False
        await live.fake.wait_for(
            lambda: live.advance(1) or live.fake.texts(RESIDENT) == ["一"], timeout=20
        )
    finally:
        task.cancel()


@SQLITE_FILE_FAULTS
async def test_the_admin_chat_is_told_once_when_a_fault_starts_and_once_when_it_ends(live):
    live.fake.user(ADMIN).send_text("/start")
    disk = FullDisk(live.services.store.db)
    faults = faults_of(live)
    watcher = asyncio.create_task(faults.watch())
    try:
        disk.full = True
        for _ in range(3):
            with pytest.raises(Exception) as error:
                await live.services.outbox.send(
                    [Outgoing(RESIDENT, "sendMessage", {"text": "x"})], live.clock()
                )
            await faults.hit(error.value, "test")
        started = live.fake.texts(ADMIN)
        assert len(started) == 1 and "磁盘已满" in started[0]  # straight via the Bot API
        assert await queued_to(live, ADMIN) == 0
        disk.full = False
        await live.services.outbox.send(
            [Outgoing(RESIDENT, "sendMessage", {"text": "x"})], live.clock()
        )
        await live.fake.wait_for(lambda: faults.kind is None, timeout=10, what="the end")
        await live.services.outbox.send(
            [Outgoing(RESIDENT, "sendMessage", {"text": "y"})], live.clock()
        )
        await asyncio.sleep(0.1)
    finally:
        watcher.cancel()
    await live.sender.drain_all()
    told = live.fake.texts(ADMIN)
    assert len(told) == 2 and "已恢复" in told[1] and "磁盘已满" in told[1]


async def test_no_notice_is_owed_when_there_is_no_admin_chat(live):
    live.services.settings.telegram.admin_chat_id = None
    faults = faults_of(live)
    await faults.hit(StorageFault("locked"), "test")
    await faults.end()
    assert faults.kind is None
    assert live.fake.calls_of("sendMessage") == []
    assert await queued_to(live, ADMIN) == 0


@SQLITE_FILE_FAULTS
async def test_a_sweep_meeting_a_lock_is_left_for_the_next_pass(live, monkeypatch):
    await short_busy_timeout(live.services.store.db)

    async def touch(services: Services, now: datetime) -> int:
        await services.outbox.send([Outgoing(RESIDENT, "sendMessage", {"text": "提醒"})], now)
        return 1

    ran: list[str] = []

    async def count(services: Services, now: datetime) -> int:
        ran.append("count")
        return 0

    sweeps = [("touch", touch), ("count", count)]
    faults = faults_of(live)
    with locked(live.services.store.db.path):
        assert await jobs.run_sweeps(live.services, sweeps, faults) == {"touch": -1, "count": -1}
    assert faults.kind == "locked"
    assert ran == []  # the pass ended at the fault: the next pass does it
    assert await jobs.run_sweeps(live.services, sweeps, faults) == {"touch": 1, "count": 0}
    assert await queued_to(live, RESIDENT) == 1
    assert ran == ["count"]


@pytest.mark.parametrize(
    ("errors", "waits"),
    [
        (["full"] * 6, [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]),  # doubling, at most 5 s
        (["locked"] * 3, [0.5, 0.5, 0.5]),  # SQLite already waited busy_timeout
        (["full", "full", "locked", "full"], [0.5, 1.0, 0.5, 2.0]),
    ],
)
def test_the_wait_after_a_fault_doubles_except_after_a_lock(errors, waits):
    backoff = Backoff()
    assert [backoff.next(StorageFault(kind)) for kind in errors] == waits
    backoff.reset()
    assert backoff.next(StorageFault("full")) == 0.5


@SQLITE_FILE_FAULTS
async def test_a_parked_update_is_reported_after_a_fault_that_stopped_its_notice(live):
    async def explode(update, ctx) -> None:
        raise RuntimeError("handler bug")

    live.app.add_handler(MessageHandler(filters.Regex("^/boom$"), explode), group=-1)
    live.fake.user(RESIDENT).send_text("/boom")
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    p = Poller(live.app, live.services, timeout=1, faults=faults_of(live))
    for _ in range(MAX_ATTEMPTS - 1):
        assert await p.process_pending() == 1
    disk = FullDisk(live.services.store.db)
    real_mark_failed = live.services.inbox.mark_failed

    async def mark_failed_then_fill(*args, **kwargs):
        parked = await real_mark_failed(*args, **kwargs)
        disk.full = True  # the disk fills between parking and telling the admin chat
        return parked

    live.services.inbox.mark_failed = mark_failed_then_fill  # type: ignore[method-assign]
    with pytest.raises(Exception, match="full"):
        await p.process_pending()
    assert await queued_to(live, ADMIN) == 0
    disk.full = False
    assert await p.process_pending() == 0  # nothing pending: the notice only
    assert await queued_to(live, ADMIN) == 1
    assert await inbox_rows(live) == [("parked", MAX_ATTEMPTS)]


async def test_a_write_squeezing_in_between_two_faults_does_not_end_the_fault(live):
    live.fake.user(ADMIN).send_text("/start")
    faults = Faults(live.app.bot, live.services, settle=0.3)
    watcher = asyncio.create_task(faults.watch())
    note = [Outgoing(RESIDENT, "sendMessage", {"text": "x"})]
    try:
        await faults.hit(StorageFault("full"), "test")
        await live.services.outbox.send(note, live.clock())  # a small write fits
        await faults.hit(StorageFault("full"), "test")  # the next one does not
        await asyncio.sleep(0.9)
        assert faults.kind == "full"
        await live.services.outbox.send(note, live.clock())
        await live.fake.wait_for(lambda: faults.kind is None, timeout=10, what="the end")
    finally:
        watcher.cancel()
    assert await queued_to(live, ADMIN) == 1  # one end notice
    assert len(live.fake.texts(ADMIN)) == 1  # one start notice
