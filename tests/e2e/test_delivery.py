"""End to end: the real `griddesk run` process against the fake Bot API over HTTP."""

from __future__ import annotations

from collections import Counter

from storage.outbox import Outgoing
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi, Fault

RESIDENT = 5001
GROUP = -1001


async def test_updates_sent_while_the_bot_is_down_are_processed_when_it_comes_back(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, lang="en"))
    await griddesk.start()
    resident.send(resident.user.send_text, "/start")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == 1,
        what="/start processed",
    )
    assert await griddesk.stop() == 0
    resident.send(resident.user.send_text, "/help")
    resident.user.send_text("/lang zh")
    assert len(fake.pending_updates()) == 2
    await griddesk.start()
    await resident.wait_text("/lang")  # the help, in English: it was asked before the switch
    await resident.wait_text("已切换为中文。")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == 3,
        what="three updates done",
    )
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox") == 3
    assert fake.pending_updates() == []


async def test_a_flood_during_a_broadcast_delays_it_but_loses_and_doubles_nothing(
    fake: FakeBotApi, griddesk: Griddesk
):
    groups = [-1000 - i for i in range(50)]
    for chat_id in groups:
        fake.group(chat_id, title=f"群{chat_id}")
    await griddesk.start()
    await griddesk.queue(
        [
            Outgoing(chat_id, "sendMessage", {"text": f"{chat_id} 第{n}条"})
            for n in range(3)
            for chat_id in groups
        ]
    )
    await fake.wait_for(lambda: len(fake.calls_of("sendMessage", ok=True)) >= 20, timeout=60)
    flood_start = fake.monotonic()
    fake.flood(6)  # Telegram's "retry after 30", shortened: 429 for every send for 6 s
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'sent'") == 150,
        timeout=40,
        what="all 150 messages sent",
    )
    floods = fake.calls_of("sendMessage", ok=False)
    assert floods and all(c.status == 429 for c in floods)
    assert len(floods) <= 5  # it waited retry_after instead of hammering
    during = [c for c in fake.calls_of("sendMessage", ok=True) if 0 <= c.at - flood_start < 6]
    assert during == []
    delivered = Counter(c.chat_id for c in fake.calls_of("sendMessage", ok=True))
    assert set(delivered.values()) == {3}
    for chat_id in groups:
        assert fake.texts(chat_id) == [f"{chat_id} 第{n}条" for n in range(3)]
    assert fake.violations == []
    assert griddesk.scalar("SELECT COUNT(*) FROM outbox WHERE state != 'sent'") == 0
    attempts = griddesk.rows("SELECT attempts FROM outbox")
    assert {row["attempts"] for row in attempts} == {1}  # a 429 is not a failed attempt


async def test_a_message_in_flight_when_the_bot_is_stopped_is_recorded_and_never_sent_again(
    fake: FakeBotApi, griddesk: Griddesk
):
    group = fake.group(GROUP)
    await griddesk.start()
    # Telegram carries the message out at once but answers 2 s later: SIGTERM lands in between.
    fake.inject(Fault.slow(2, process_first=True), method="sendMessage", chat_id=GROUP)
    await griddesk.queue([Outgoing(GROUP, "sendMessage", {"text": "停水通知"})])
    await fake.wait_for(lambda: group.texts() == ["停水通知"], what="the message delivered")
    assert await griddesk.stop() == 0
    [(state, message_id)] = griddesk.rows(
        "SELECT state, message_id FROM outbox WHERE chat_id = ?", (GROUP,)
    )
    assert state == "sent" and message_id == fake.bot_messages(GROUP)[0]["message_id"]

    await griddesk.start()
    await griddesk.queue([Outgoing(GROUP, "sendMessage", {"text": "恢复供水"})])
    # Order is kept per chat: a resend of the first would arrive before the second.
    await fake.wait_for(lambda: "恢复供水" in group.texts(), what="the next message")
    assert group.texts() == ["停水通知", "恢复供水"]
    assert len(fake.calls_of("sendMessage", chat_id=GROUP)) == 2
