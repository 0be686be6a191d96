"""The inbox poller against the fake Bot API: store, then confirm; process once; park poison."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.poller import MAX_ATTEMPTS, Poller
from tests.conftest import ADMIN, RESIDENT
from tests.delivery.conftest import Live


def poller(live: Live) -> Poller:
    return Poller(live.app, live.services, timeout=1)


async def outbox_texts(live: Live, chat_id: int) -> list[str]:
    rows = await live.services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [row["payload"] for row in rows]


async def test_an_update_is_confirmed_to_telegram_only_after_it_is_stored(live, monkeypatch):
    resident = live.fake.user(RESIDENT)
    for word in ("一", "二", "三"):
        resident.send_text(word)
    p = poller(live)

    async def disk_full(updates, at):
        raise OSError("disk full")

    monkeypatch.setattr(live.services.inbox, "store", disk_full)
    with pytest.raises(OSError):
        await p.fetch_forever()
    assert len(live.fake.pending_updates()) == 3  # nothing confirmed, nothing lost
    monkeypatch.undo()
    task = asyncio.create_task(p.fetch_forever())
    try:
        await live.fake.wait_for(lambda: not live.fake.pending_updates(), timeout=5)
    finally:
        task.cancel()
    assert (await live.services.inbox.counts()) == {"new": 3}


async def test_a_restarted_poller_stores_a_redelivered_update_once(live):
    resident = live.fake.user(RESIDENT)
    resident.send_text("/start")
    p = poller(live)
    first = await p.fetch(None)
    await live.services.inbox.store(first, live.clock())
    # The process dies before the next getUpdates confirms: Telegram sends it again.
    again = await poller(live).fetch(None)
    assert again == first
    assert await live.services.inbox.store(again, live.clock()) == 0
    assert await p.process_pending() == 1
    assert await p.process_pending() == 0
    assert len(await outbox_texts(live, RESIDENT)) == 1
    assert (await live.services.inbox.counts()) == {"done": 1}


async def test_a_failing_update_is_retried_first_then_parked_and_reported(live):
    async def explode(update: Update, ctx) -> None:
        raise RuntimeError("handler bug")

    # A command nothing else answers, so no other handler commits (and completes) the update.
    live.app.add_handler(MessageHandler(filters.Regex("^/boom$"), explode), group=-1)
    resident = live.fake.user(RESIDENT)
    boom = resident.send_text("/boom")
    resident.send_text("/start")
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    p = poller(live)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await p.process_pending() == 1  # stopped at the failure: /start waits
        row = await live.services.store.db.fetchone(
            "SELECT state, attempts FROM inbox WHERE update_id = ?", (boom["update_id"],)
        )
        assert row["attempts"] == attempt
    assert row["state"] == "parked"
    assert str(boom["update_id"]) in (await outbox_texts(live, ADMIN))[0]
    assert await p.process_pending() == 1  # /start, now that boom is parked
    assert (await live.services.inbox.counts()) == {"parked": 1, "done": 1}


async def test_an_update_in_progress_at_each_of_three_crashes_is_parked(live):
    live.fake.user(RESIDENT).send_text("/start")
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    for _ in range(MAX_ATTEMPTS):
        await poller(live).recover()
    assert (await live.services.inbox.counts()) == {"parked": 1}
    assert len(await outbox_texts(live, ADMIN)) == 1
    await poller(live).recover()  # nothing pending: nothing charged, nobody told
    assert len(await outbox_texts(live, ADMIN)) == 1
