"""The outbox on a real SQLite file: order per chat, collapsing, cards edited in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import outbox
from storage.outbox import CARD, Outbox, Outgoing

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ALICE, BOB = 5001, 5002


def text(chat_id: int, body: str, **fields) -> Outgoing:
    return Outgoing(chat_id, "sendMessage", {"text": body}, **fields)


def card(chat_id: int, body: str, key: str = "report:1:work") -> Outgoing:
    return Outgoing(chat_id, CARD, {"text": body}, card=key)


@pytest.fixture
def box(db) -> Outbox:
    return Outbox(db)


async def states(db) -> list[tuple[int, str, str]]:
    rows = await db.fetchall("SELECT chat_id, state, payload FROM outbox ORDER BY id")
    return [(r["chat_id"], r["state"], r["payload"]) for r in rows]


async def test_due_gives_the_oldest_row_of_each_chat_so_order_is_kept_per_chat(box):
    await box.send([text(ALICE, "a1"), text(BOB, "b1"), text(ALICE, "a2")], AT)

    due = await box.due(AT)

    assert [(r.chat_id, r.params["text"]) for r in due] == [(ALICE, "a1"), (BOB, "b1")]
    await box.mark_sent(due[0], AT, 10)
    assert [r.params["text"] for r in await box.due(AT)] == ["b1", "a2"]


async def test_a_row_held_until_later_is_not_due_before_then(box):
    await box.send([text(ALICE, "later", not_before=AT + timedelta(minutes=5))], AT)

    assert await box.due(AT) == []
    assert [r.params["text"] for r in await box.due(AT + timedelta(minutes=5))] == ["later"]


async def test_a_pending_row_with_the_same_collapse_key_is_replaced(db, box):
    await box.send([text(ALICE, "3 open cases", collapse_key="tasks:5001")], AT)
    await box.send([text(ALICE, "4 open cases", collapse_key="tasks:5001")], AT)

    assert [(chat, state) for chat, state, _ in await states(db)] == [(ALICE, "pending")]
    assert [r.params["text"] for r in await box.due(AT)] == ["4 open cases"]


async def test_a_row_being_sent_is_not_replaced_the_new_version_queues_behind_it(db, box):
    await box.send([text(ALICE, "v1", collapse_key="k")], AT)
    [sending] = await box.due(AT)
    await box.mark_sending(sending.id)

    await box.send([text(ALICE, "v2", collapse_key="k")], AT)

    rows = await states(db)
    assert [(state, '"v1"' in payload) for _, state, payload in rows] == [
        ("sending", True),
        ("pending", False),
    ]
    await box.mark_sent(sending, AT, 11)
    assert [r.params["text"] for r in await box.due(AT)] == ["v2"]


async def test_rows_without_a_collapse_key_never_collapse(db, box):
    await box.send([text(ALICE, "same"), text(ALICE, "same")], AT)
    assert len(await states(db)) == 2


async def test_a_card_is_sent_once_then_edited_in_its_message(db, box):
    await box.send([card(ALICE, "open")], AT)
    [first] = await box.due(AT)
    assert (first.method, first.card_message_id) == (CARD, None)
    await box.mark_sent(first, AT, 42)

    await box.send([card(ALICE, "accepted")], AT)

    [second] = await box.due(AT)
    assert (second.card_id, second.card_message_id) == (first.card_id, 42)
    assert second.params["text"] == "accepted"


async def test_two_unsent_versions_of_a_card_collapse_into_the_newest(db, box):
    await box.send([card(ALICE, "open")], AT)
    await box.send([card(ALICE, "accepted")], AT)
    await box.send([card(ALICE, "resolved")], AT)

    assert [r.params["text"] for r in await box.due(AT)] == ["resolved"]
    assert len(await states(db)) == 1


async def test_one_card_key_is_one_message_per_chat(db, box):
    await box.send([card(ALICE, "for alice"), card(BOB, "for bob")], AT)

    due = await box.due(AT)

    assert len({r.card_id for r in due}) == 2
    assert sorted(await box.card_chats("report:1:work")) == [ALICE, BOB]
    assert await box.card_chats("report:2:work") == []


async def test_send_anew_sends_the_card_as_a_new_message_and_edits_that_one_next(db, box):
    await box.send([card(ALICE, "open")], AT)
    [first] = await box.due(AT)
    await box.mark_sent(first, AT, 42)

    await box.send_anew([card(ALICE, "open, again")], AT)

    [again] = await box.due(AT)
    assert (again.card_id, again.card_message_id) == (first.card_id, None)
    await box.mark_sent(again, AT, 43)
    await box.send([card(ALICE, "accepted")], AT)
    assert [r.card_message_id for r in await box.due(AT)] == [43]


async def test_rows_added_in_a_transaction_that_fails_are_not_queued(db, box):
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await outbox.add(conn, [text(ALICE, "never"), card(BOB, "never")], AT)
            raise RuntimeError("the change failed")

    assert await states(db) == []
    assert await box.card_chats("report:1:work") == []
