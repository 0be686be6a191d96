"""The pace counts from when a call starts, not from before the commit that precedes it.

bench/sender.py found one breach of Telegram's 30/s in 10,000 messages: the pacer counted a
message, then a slow commit (mark_sending's fsync) delayed its call, and the next ones, counted
a second after it, arrived less than a second after it.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.sender import MARGIN, Pacer
from storage.outbox import Outgoing
from tests.conftest import RESIDENT
from tests.delivery.conftest import Live


def test_a_restamped_message_paces_its_chat_and_the_bot_from_its_new_time():
    pacer = Pacer()
    pacer.record(5001, 1, 10.0)
    pacer.restamp(5001, 10.3)
    assert pacer.delay(5001, 1, 11.0) == pytest.approx(0.3)
    for i in range(29):
        pacer.record(6000 + i, 1, 10.5)
    assert pacer.global_delay(1, 11.1) == pytest.approx(0.2 + MARGIN)


def test_a_chat_counted_before_others_of_its_pass_is_restamped_too_and_the_window_stays_ordered():
    # A pass counts every row it sends, then calls them one after another.
    pacer = Pacer()
    pacer.record(5001, 1, 10.0)
    pacer.record(5002, 1, 10.1)
    pacer.restamp(5001, 10.5)
    assert pacer.delay(5001, 1, 10.5) == pytest.approx(1.0)
    assert pacer.delay(5002, 1, 10.5) == pytest.approx(0.6)
    for i in range(28):
        pacer.record(6000 + i, 1, 10.6)
    # the oldest of the 30 is now 5002's (10.1), not 5001's
    assert pacer.global_delay(1, 10.7) == pytest.approx(10.1 + 1.0 + MARGIN - 10.7)


async def test_a_slow_commit_before_a_call_does_not_let_the_next_message_crowd_it(live: Live):
    live.fake.user(RESIDENT).send_text("/start")
    mark_sending = live.services.outbox.mark_sending
    slowed: list[int] = []

    async def slow_commit(row_id: int, sent: Any = ()) -> dict | None:
        current = await mark_sending(row_id, sent)
        live.monotonic.now += 0.4
        slowed.append(row_id)
        return current

    live.services.outbox.mark_sending = slow_commit  # type: ignore[method-assign]
    await live.services.outbox.send(
        [Outgoing(RESIDENT, "sendMessage", {"text": t}) for t in ("一", "二")], live.clock()
    )
    await live.sender.drain_once()
    live.advance(0.7)  # a second after the first was counted, 0.7 s after its call
    await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == ["一"]
    live.advance(0.3)
    await live.sender.drain_once()
    assert live.fake.texts(RESIDENT) == ["一", "二"]
    assert live.fake.violations == []
    assert len(slowed) == 2  # the commit before each call really was slow
