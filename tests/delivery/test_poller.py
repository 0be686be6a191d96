"""The inbox poller against the fake Bot API: store, then confirm; process once; park poison."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.poller import LEASE, MAX_ATTEMPTS, Poller
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


async def test_updates_pending_together_share_one_commit_and_a_press_is_answered_after_it(live):
    from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

    from handlers.kit.presses import answer

    resident = live.fake.user(RESIDENT)
    resident.send_text("/start")
    p = poller(live)
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    assert await p.process_pending() == 1
    await live.sender.drain_all()
    message_id = live.fake.bot_messages(RESIDENT)[-1]["message_id"]
    answered_while_handled: list[int] = []

    async def on_press(update: Update, ctx: object) -> None:
        await answer(update, "好")
        answered_while_handled.append(len(live.fake.calls_of("answerCallbackQuery")))
        raise ApplicationHandlerStop

    live.app.add_handler(CallbackQueryHandler(on_press, pattern="^zz:"), group=-1)
    for _ in range(3):
        resident.press_on(message_id, "zz:go")
    resident.send_text("/help")
    commits: list[int] = []
    live.services.store.on_commit.append(lambda: commits.append(1))
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    commits.clear()  # the store's own
    assert await p.process_pending() == 4
    assert commits == [1, 1]  # the claim's, then ONE for the four updates
    assert answered_while_handled == [0, 0, 0]  # no network inside the open transaction
    await live.fake.wait_for(
        lambda: len(live.fake.calls_of("answerCallbackQuery")) == 3, timeout=10, what="answers"
    )
    assert (await live.services.inbox.counts()) == {"done": 5}


async def test_a_restarted_process_on_its_file_takes_the_updates_its_predecessor_claimed(
    live, monkeypatch
):
    resident = live.fake.user(RESIDENT)
    resident.send_text("/start")
    dead = poller(live)
    await live.services.inbox.store(await dead.fetch(None), live.clock())
    # the process claimed the update and was killed before its batch committed
    claimed = await live.services.inbox.claim(dead.owner, 10, LEASE, live.clock())
    assert len(claimed) == 1
    # the next process (another pid) on the same SQLite file goes on at once, not after the
    # claim's lease
    assert live.services.settings.uses_postgres() is False
    monkeypatch.setattr("bot.poller.PROCESS_OWNER", "host:4242:abcdef")
    assert await poller(live).process_pending() == 1
    assert (await live.services.inbox.counts()) == {"done": 1}
    assert len(await outbox_texts(live, RESIDENT)) == 1
