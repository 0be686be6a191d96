"""The sender against the fake Bot API: Telegram's limits, order per chat, and every failure.

Pacing runs on an injected monotonic clock; nothing here sleeps beyond an HTTP round trip
(except the one client timeout, 0.5 s).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import sender as sender_module
from bot.domain import reports as domain
from bot.domain.reports import Report
from bot.domain.units import Tier
from bot.sender import GLOBAL_PER_SECOND, MARGIN, WINDOW, Pacer
from storage.outbox import Outgoing
from tests.conftest import ADMIN, RESIDENT, WORKER_G1
from tests.delivery.conftest import Live
from tests.fakebotapi import Fault


def message(chat_id: int, text: str) -> Outgoing:
    return Outgoing(chat_id, "sendMessage", {"text": text, "parse_mode": "HTML"})


async def queue(live: Live, *messages: Outgoing) -> None:
    await live.services.outbox.send(list(messages), live.clock())


async def states(live: Live) -> dict[str, int]:
    rows = await live.services.store.db.fetchall(
        "SELECT state, COUNT(*) FROM outbox GROUP BY state"
    )
    return {row[0]: row[1] for row in rows}


async def open_report(live: Live) -> Report:
    """Stores an open report by RESIDENT held by WORKER_G1 (no cards: only the link matters)."""
    now = live.clock()
    report = Report(RESIDENT, "litter", "B1", "楼下垃圾堆积", ("photo",), now, "G1", Tier.GRID,
                    assignee_id=WORKER_G1)  # fmt: skip
    event = domain.submit(report, actor_id=RESIDENT, at=now)

    async def no_messages(stored: Report) -> list[Outgoing]:
        return []

    return await live.services.reports.create(report, event, no_messages)


# The pacer alone ------------------------------------------------------------------------------


def test_a_chat_gets_one_message_a_second():
    pacer = Pacer()
    pacer.record(5001, 1, 10.0)
    assert pacer.delay(5001, 1, 10.2) == pytest.approx(0.8)
    assert pacer.delay(5001, 1, 11.0) == 0.0
    assert pacer.delay(5002, 1, 10.2) == 0.0


def test_thirty_messages_a_second_overall_then_the_oldest_must_age():
    pacer = Pacer()
    for i in range(GLOBAL_PER_SECOND):
        pacer.record(6000 + i, 1, 10.0 + i * 0.01)
    # a second and the margin for the network after the oldest (bot.sender.MARGIN)
    assert round(pacer.delay(7000, 1, 10.5), 3) == round(0.5 + MARGIN, 3)
    assert pacer.delay(7000, 1, 11.0) > 0.0
    assert pacer.delay(7000, 1, 10.0 + WINDOW) == 0.0


def test_a_group_gets_twenty_messages_a_minute():
    pacer = Pacer()
    for i in range(20):
        pacer.record(-100, 1, 10.0 + i * 1.0)
    assert pacer.delay(-100, 1, 30.0) == 40.0  # the first of the twenty ages out at 70 s
    assert pacer.delay(-100, 1, 70.0) == 0.0


def test_an_album_counts_each_photo():
    pacer = Pacer()
    pacer.record(-100, 10, 0.0)
    pacer.record(-100, 9, 1.0)
    assert pacer.chat_delay(-100, 2, 2.0) == 58.0
    assert pacer.chat_delay(-100, 1, 2.0) == 0.0
    for _ in range(3):
        pacer.record(7000, 10, 2.0)
    assert pacer.global_delay(1, 2.5) == pytest.approx(0.5 + MARGIN)


def test_a_held_chat_is_reported_busy_until_its_hold_ends():
    pacer = Pacer()
    pacer.hold(5001, 20.0)
    assert pacer.held(10.0) == [5001]
    assert pacer.held(20.0) == []


# The sender against the fake ----------------------------------------------------------------


async def test_one_chat_gets_one_message_a_second_in_order(live):
    live.fake.user(RESIDENT).send_text("/start")
    expected = [f"第{i}条" for i in range(3)]
    await queue(live, *(message(RESIDENT, text) for text in expected))
    for i in range(3):
        assert await live.sender.drain_once() == 0.0  # one message went
        assert live.fake.texts(RESIDENT) == expected[: i + 1]
        live.advance(0.9)
        await live.sender.drain_once()
        assert live.fake.texts(RESIDENT) == expected[: i + 1]  # the next waits a full second
        live.advance(0.1)
    assert live.fake.violations == []


async def test_thirty_chats_go_at_once_and_the_thirty_first_waits(live):
    chats = [6000 + i for i in range(35)]
    for chat in chats:
        live.fake.user(chat).send_text("/start")
    await queue(live, *(message(chat, "通知") for chat in chats))
    await live.sender.drain_once()
    assert len(live.fake.calls_of("sendMessage")) == GLOBAL_PER_SECOND
    assert 0 < await live.sender.drain_once() <= WINDOW
    live.advance(WINDOW)
    await live.sender.drain_once()
    assert sorted(c.chat_id for c in live.fake.calls_of("sendMessage")) == chats


async def test_the_sender_keeps_a_group_to_twenty_messages_a_minute(live):
    live.fake.group(-100)
    await queue(live, *(message(-100, f"群{i}") for i in range(22)))
    for _ in range(40):
        await live.sender.drain_once()
        live.advance(1.0)
    assert len(live.fake.texts(-100)) == 20
    live.advance(25.0)
    await live.sender.drain_once()
    live.advance(1.0)
    await live.sender.drain_once()
    assert live.fake.texts(-100) == [f"群{i}" for i in range(22)]


async def test_a_429_holds_that_chat_while_the_others_go_on(live):
    for chat in (5001, 5002):
        live.fake.user(chat).send_text("/start")
    live.fake.inject(Fault.too_many_requests(5), method="sendMessage", chat_id=5001)
    await queue(live, message(5001, "甲1"), message(5002, "乙1"), message(5001, "甲2"))
    await live.sender.drain_once()
    assert live.fake.texts(5002) == ["乙1"]
    for _ in range(4):
        live.advance(1.0)
        await live.sender.drain_once()
    assert live.fake.texts(5001) == []  # still waiting out its 5 s
    live.advance(1.5)
    await live.sender.drain_once()
    live.advance(1.0)
    await live.sender.drain_once()
    assert live.fake.texts(5001) == ["甲1", "甲2"]
    row = await live.services.store.db.fetchone("SELECT attempts FROM outbox ORDER BY id LIMIT 1")
    assert row["attempts"] == 1  # the 429 was not counted as a failed attempt


async def test_429s_in_two_chats_pause_every_chat(live):
    for chat in (5001, 5002, 5003):
        live.fake.user(chat).send_text("/start")
    live.fake.inject(Fault.too_many_requests(3), method="sendMessage", times=2)
    await queue(live, message(5001, "一"), message(5002, "二"), message(5003, "三"))
    await live.sender.drain_once()
    assert live.fake.texts(5003) == []  # the bot-wide flood stopped the pass
    live.advance(1.0)
    assert await live.sender.drain_once() > 0
    assert live.fake.texts(5003) == []
    live.advance(2.5)
    await live.sender.drain_once()
    assert [live.fake.texts(c) for c in (5001, 5002, 5003)] == [["一"], ["二"], ["三"]]


async def test_a_blocked_resident_is_dropped_and_the_worker_holding_their_report_is_told(live):
    resident = live.fake.user(RESIDENT)
    live.fake.user(WORKER_G1).send_text("/start")
    report = await open_report(live)
    resident.block()
    await queue(live, message(RESIDENT, "一"), message(RESIDENT, "二"))
    await live.sender.drain_all()
    assert len(live.fake.calls_of("sendMessage", RESIDENT)) == 1  # the second was never tried
    assert await live.services.outbox.is_unreachable(RESIDENT)
    assert report.number in live.fake.texts(WORKER_G1)[-1]
    await queue(live, message(RESIDENT, "三"))
    await live.sender.drain_all()
    assert len(live.fake.calls_of("sendMessage", RESIDENT)) == 1
    resident.send_text("/start")  # unblocked: a message from them reaches the inbox
    await live.services.inbox.store(live.fake.pending_updates(), live.clock())
    assert not await live.services.outbox.is_unreachable(RESIDENT)


async def test_a_group_that_removed_the_bot_is_reported_to_the_admin_chat(live):
    live.fake.user(ADMIN).send_text("/start")
    live.fake.group(-100).kick_bot(by_user=ADMIN)
    await queue(live, message(-100, "周报"))
    await live.sender.drain_all()
    assert "-100" in live.fake.texts(ADMIN)[-1]
    assert await live.services.outbox.is_unreachable(-100)


async def test_a_migrated_group_gets_its_queue_at_the_new_id_and_bindings_follow(live, monkeypatch):
    from bot.app import MIGRATION_HOOKS

    outbox = live.services.outbox
    assert outbox.chat_moved == MIGRATION_HOOKS  # bindings and leaderboards follow
    group = live.fake.group(-100)
    moved: list[tuple[int, int]] = []

    async def follow(conn, old, new):
        moved.append((old, new))

    monkeypatch.setattr(outbox, "chat_moved", (*MIGRATION_HOOKS, follow))
    group.migrate(-1001234)
    await queue(live, message(-100, "一"), message(-100, "二"))
    for _ in range(3):
        await live.sender.drain_once()
        live.advance(3.0)
    assert moved == [(-100, -1001234)]
    assert live.fake.texts(-1001234) == ["一", "二"]
    assert await states(live) == {"sent": 2}


async def test_a_timeout_is_retried_and_the_message_arrives_once(live):
    live.fake.user(RESIDENT).send_text("/start")
    live.fake.inject(Fault.slow(1.0), method="sendMessage")
    await queue(live, message(RESIDENT, "慢"))
    await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == []
    live.advance(5.0)
    await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == ["慢"]
    assert await states(live) == {"sent": 1}


async def test_server_errors_are_retried_with_backoff_then_given_up(live):
    live.fake.user(RESIDENT).send_text("/start")
    live.fake.inject(Fault.server_error(500), method="sendMessage", times=100)
    await queue(live, message(RESIDENT, "五百"))
    waits = []
    for _ in range(sender_module.MAX_ATTEMPTS):
        await live.sender.drain_once()
        row = await live.services.store.db.fetchone("SELECT not_before FROM outbox")
        waits.append(row["not_before"])
        live.advance(sender_module.MAX_BACKOFF)
    assert len(live.fake.calls_of("sendMessage")) == sender_module.MAX_ATTEMPTS
    assert await states(live) == {"failed": 1}
    stamps = [w for w in waits[:3]]
    assert stamps == sorted(stamps)


async def test_an_outage_loses_nothing_and_the_outbox_drains_in_order(live):
    chats = [5001, 5002, 5003]
    for chat in chats:
        live.fake.user(chat).send_text("/start")
    await live.fake.go_down()
    await queue(live, *(message(chat, f"{chat}-{i}") for i in range(3) for chat in chats))
    for _ in range(60):  # ten minutes of retries, in ten-second steps
        await live.sender.drain_once()
        live.advance(10.0)
    assert await states(live) == {"pending": 8, "sending": 1}
    first = await live.services.store.db.fetchone("SELECT attempts FROM outbox ORDER BY id LIMIT 1")
    assert first["attempts"] == 0  # an outage uses up no attempts
    assert len(live.fake.calls) < 80  # the sender backed off instead of hammering
    await live.fake.come_up()
    for _ in range(10):
        await live.sender.drain_once()
        live.advance(sender_module.MAX_BACKOFF)
    for chat in chats:
        assert live.fake.texts(chat) == [f"{chat}-{i}" for i in range(3)]
    assert await states(live) == {"sent": 9}


async def test_a_scheduled_message_does_not_hold_back_later_messages_to_its_chat(live):
    live.fake.user(RESIDENT).send_text("/start")
    later = live.clock() + timedelta(hours=8)
    await queue(
        live,
        Outgoing(RESIDENT, "sendMessage", {"text": "明早提醒"}, not_before=later),
        message(RESIDENT, "现在"),
    )
    await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == ["现在"]
    live.advance(8 * 3600)
    await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == ["现在", "明早提醒"]


async def test_a_card_retried_after_a_429_keeps_its_place_before_its_newer_version(live):
    live.fake.user(RESIDENT).send_text("/start")
    card = Outgoing(RESIDENT, "card", {"text": "待接单", "parse_mode": "HTML"}, card="report:1")
    live.fake.inject(Fault.too_many_requests(2), method="sendMessage")
    await queue(live, card)
    await live.sender.drain_once()
    newer = Outgoing(RESIDENT, "card", {"text": "处置中", "parse_mode": "HTML"}, card="report:1")
    await queue(live, newer)
    for _ in range(4):
        live.advance(1.0)
        await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == ["处置中"]  # sent as 待接单, then edited in place
    assert [c.method for c in live.fake.calls_of(chat_id=RESIDENT, ok=True)] == [
        "sendMessage",
        "editMessageText",
    ]


async def test_a_card_version_queued_after_the_senders_read_is_the_one_sent(live):
    """Found by play: an accepted report's card still read 待接单. The sender read a pass's rows,
    and while it called Telegram for the rows ahead, the accept collapsed its version into the
    card's row, still pending; the sender then sent the version it had read, marked the row
    sent, and the newer version was never sent."""
    for chat in (ADMIN, RESIDENT):
        live.fake.user(chat).send_text("/start")
    await queue(live, message(ADMIN, "排在前面"))
    card = Outgoing(RESIDENT, "card", {"text": "待接单", "parse_mode": "HTML"}, card="report:1")
    await queue(live, card)
    rows = await live.services.outbox.due(live.clock())
    assert [row.chat_id for row in rows] == [ADMIN, RESIDENT]
    await live.sender.deliver(rows[0])  # the call for the row ahead: the accept commits now
    newer = Outgoing(RESIDENT, "card", {"text": "处理中", "parse_mode": "HTML"}, card="report:1")
    await queue(live, newer)
    await live.sender.deliver(rows[1])
    await live.sender.drain_all()
    assert live.fake.texts(RESIDENT) == ["处理中"]
    assert await states(live) == {"sent": 2}
