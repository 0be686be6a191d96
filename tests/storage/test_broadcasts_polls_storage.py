"""Broadcasts and polls on a real SQLite file: the audience, delivery counts, the outbox's
priority, one vote per person, the groups' native polls, the ledger read and erasure."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain.groups import Binding, Purpose
from bot.domain.polls import Poll, State
from storage.outbox import Outgoing
from storage.privacy import erase_person
from storage.uow import Store

RESIDENT, MUTED, BLOCKED, ELSEWHERE = 5001, 5002, 5003, 5004


async def registered(store: Store, user_id: int, unit: str, at) -> None:
    await store.people.touch(user_id, "居民", "zh", at)
    await store.people.update(user_id, at, unit=unit)


async def test_the_audience_leaves_out_the_muted_the_blocked_and_other_units(store, clock):
    now = clock()
    for user_id, unit in ((RESIDENT, "B1"), (MUTED, "B2"), (BLOCKED, "B1"), (ELSEWHERE, "B3")):
        await registered(store, user_id, unit, now)
    await store.broadcasts.mute(MUTED, now, [])
    await store.outbox.mark_chat_unreachable(BLOCKED, "Forbidden: bot was blocked", now)
    for chat, unit in ((-1001, "G1"), (-1002, "B1"), (-1003, "G2")):
        await store.groups.bind(Binding(chat, unit, Purpose.SUMMARY, 201, now), [])
    await store.groups.bind(Binding(-1001, "G1", Purpose.VOLUNTEERS, 201, now), [])

    g1 = ["G1", "B1", "B2"]
    assert [r.chat_id for r in await store.broadcasts.residents_in(g1)] == [RESIDENT]
    everyone = await store.broadcasts.residents_in(g1, skip_muted=False)
    assert [r.chat_id for r in everyone] == [RESIDENT, MUTED]
    assert [g.chat_id for g in await store.broadcasts.groups_in(g1)] == [-1002, -1001]


async def test_delivery_is_counted_by_outcome_and_blocked_apart_from_failed(store, clock):
    now = clock()
    rows = [Outgoing(5000 + n, "sendMessage", {"text": "通知"}, priority=-1, batch="broadcast:7")
            for n in range(5)]  # fmt: skip
    await store.outbox.send(rows, now)
    due = {row.chat_id: row for row in await store.outbox.due(now)}
    await store.outbox.mark_sent(due[5000], now, 11)
    await store.outbox.mark_sent(due[5001], now, 12)
    await store.outbox.mark_failed(due[5002], "forbidden: bot was blocked by the user")
    await store.outbox.mark_failed(due[5003], "bad request: chat not found")
    progress = await store.broadcasts.progress(7)
    assert (progress.total, progress.delivered, progress.blocked, progress.failed) == (5, 2, 1, 1)
    assert progress.pending == 1 and not progress.finished
    await store.outbox.mark_chat_unreachable(5004, "Forbidden", now)  # drops its queue
    assert (await store.broadcasts.progress(7)).blocked == 2


async def test_a_case_notice_queued_after_a_broadcast_is_due_first_and_chat_order_holds(
    store, clock
):
    now = clock()
    broadcast = [Outgoing(5000 + n, "sendMessage", {"text": f"通知{n}"}, priority=-1)
                 for n in range(300)]  # fmt: skip
    await store.outbox.send(broadcast, now)
    await store.outbox.send([Outgoing(101, "sendMessage", {"text": "新案件"})], now)
    await store.outbox.send([Outgoing(5000, "sendMessage", {"text": "您的案件已受理"})], now)
    due = await store.outbox.due(now, limit=3)
    assert [row.chat_id for row in due] == [101, 5000, 5001]
    assert due[1].params["text"] == "通知0"  # the resident's own chat keeps its order


def poll(at, unit="C1", closes=timedelta(days=3)) -> Poll:
    return Poll(201, unit, "装电梯吗？", ("装", "不装"), at, at + closes, residents=2)


async def test_one_vote_per_person_and_none_after_closing(store, clock):
    now = clock()
    async with store.transaction() as tx:
        saved = await tx.polls.add(poll(now))
    assert saved.id is not None
    assert await store.polls.vote(saved.id, RESIDENT, 0, now, [])
    assert not await store.polls.vote(saved.id, RESIDENT, 1, now, [])
    assert await store.polls.vote_of(saved.id, RESIDENT) == 0
    assert not await store.polls.vote(saved.id, MUTED, 1, now + timedelta(days=3), [])
    assert not await store.polls.want_result(saved.id, MUTED, now, [])  # not a voter
    assert await store.polls.want_result(saved.id, RESIDENT, now, [])
    assert await store.polls.result_wanted_by(saved.id) == [RESIDENT]
    tally = await store.polls.tally(saved)
    assert (tally.private, tally.voters, tally.eligible) == ((1, 0), 1, 2)


async def test_native_polls_are_adopted_from_the_outbox_and_counted_until_closed(store, clock):
    now = clock()
    async with store.transaction() as tx:
        saved = await tx.polls.add(poll(now))
    assert saved.id is not None
    native = Outgoing(-1001, "sendPoll", {"question": "q", "options": []}, batch=f"poll:{saved.id}")
    await store.outbox.send([native], now)
    [row] = await store.outbox.due(now)
    assert await store.polls.natives_in_flight(saved.id) == 1
    await store.outbox.mark_sent(row, now, 77, "tg-poll-1")
    assert await store.polls.record_native("someone-elses", [1, 1], 2, False, now) is None
    assert await store.polls.record_native("tg-poll-1", [3, 1], 4, False, now) == saved.id
    [found] = await store.polls.natives(saved.id)
    assert (found.chat_id, found.message_id, found.telegram_poll_id) == (-1001, 77, "tg-poll-1")
    assert not await store.polls.natives_closed(saved.id)
    await store.polls.record_native("tg-poll-1", [4, 1], 5, True, now)
    await store.polls.record_native("tg-poll-1", [9, 9], 18, True, now)  # final stays final
    tally = await store.polls.tally(saved)
    assert (tally.native, tally.native_total) == ((4, 1), 5)
    assert await store.polls.natives_closed(saved.id)
    assert await store.polls.adopt_natives() == 0  # once


async def test_closing_moves_once_and_the_ledger_reads_a_subtree_and_a_period(store, clock):
    now = clock()
    async with store.transaction() as tx:
        in_c1 = await tx.polls.add(poll(now, "G1"))
        old = replace(poll(now - timedelta(days=40), "B1"), state=State.CLOSED)
        await tx.polls.add(old)  # before the period, closed long ago
        await tx.polls.add(poll(now, "S1", closes=timedelta(days=5)))  # above C1
    assert await store.polls.due(now) == []
    later = now + timedelta(days=3)
    [due] = await store.polls.due(later)
    assert due.id == in_c1.id
    assert await store.polls.move(due, State.CLOSING, later, later, [], stop_by=later)
    assert not await store.polls.move(due, State.CLOSING, later, later, [])  # a second pass
    [closing] = await store.polls.due(later)
    assert (closing.state, closing.stop_by) == (State.CLOSING, later)
    assert await store.polls.move(closing, State.CLOSED, None, later, [])
    assert [p.unit for p in await store.polls.due(later + timedelta(days=1))] == []

    rows = await store.polls.rows_for("C1", now - timedelta(days=1), now + timedelta(days=1))
    assert [(r.poll.unit, r.poll.state) for r in rows] == [("G1", State.CLOSED)]
    assert rows[0].tally.options == ("装", "不装")
    wide = await store.polls.rows_for("D1", now - timedelta(days=60), now + timedelta(days=1))
    assert sorted(r.poll.unit for r in wide) == ["B1", "G1", "S1"]


async def test_erasure_keeps_a_vote_under_a_pseudonym_and_drops_the_mute(store, clock):
    now = clock()
    await registered(store, RESIDENT, "B1", now)
    await store.broadcasts.mute(RESIDENT, now, [])
    async with store.transaction() as tx:
        saved = await tx.polls.add(poll(now))
    assert saved.id is not None
    await store.polls.vote(saved.id, RESIDENT, 1, now, [])
    async with store.db.transaction() as conn:
        await erase_person(conn, RESIDENT, now, "（已删除）")
    assert not await store.broadcasts.is_muted(RESIDENT)
    votes = await store.db.fetchall("SELECT user_id, option FROM poll_votes")
    assert len(votes) == 1 and votes[0]["user_id"] < 0 and votes[0]["option"] == 1
    assert (await store.polls.tally(saved)).private == (0, 1)
