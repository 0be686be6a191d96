"""storage/inbox.py Inbox.claim: the pending updates a process may take, in order per chat, on
both backends; on PostgreSQL two owners claiming at once get disjoint sets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.db import Database
from storage.inbox import Inbox, chat_of

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)


def text(update_id: int, chat: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "x"},
            "text": f"t{update_id}",
        },
    }


def press(update_id: int, chat: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": {"id": chat, "is_bot": False, "first_name": "x"},
            "chat_instance": "c",
            "data": "a:b",
            "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private"}},
        },
    }


def test_the_chat_of_an_update_is_its_message_press_or_membership_chat_and_none_for_a_poll():
    member = {"update_id": 3, "my_chat_member": {"chat": {"id": -100, "type": "group"}}}
    assert chat_of(text(1, 11)) == 11
    assert chat_of(press(2, 12)) == 12
    assert chat_of(member) == -100
    assert chat_of({"update_id": 4, "poll": {"id": "p"}}) is None


async def stored_chats(db: Database) -> dict[int, int | None]:
    rows = await db.fetchall("SELECT update_id, chat_id FROM inbox ORDER BY update_id")
    return {int(r[0]): r[1] for r in rows}


async def test_store_fills_the_chat_and_done_clears_it(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 11), press(2, 12), {"update_id": 3, "poll": {"id": "p"}}], NOW)
    assert await stored_chats(db) == {1: 11, 2: 12, 3: None}
    await inbox.mark_done(1, NOW)
    assert (await stored_chats(db))[1] is None  # no one's id kept once it is processed


async def test_an_owner_claims_in_order_and_takes_its_own_claims_again(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(i, 10 + i % 3) for i in range(1, 8)], NOW)
    first = await inbox.claim("a", 4, LEASE, NOW)
    assert [r.update_id for r in first] == [1, 2, 3, 4]
    again = await inbox.claim("a", 10, LEASE, NOW)
    assert [r.update_id for r in again] == [1, 2, 3, 4, 5, 6, 7]
    assert again[0].payload["message"]["text"] == "t1"


async def test_another_owner_skips_claimed_updates_and_every_later_one_of_their_chats(db: Database):
    inbox = Inbox(db)
    # chats: 1→A, 2→B, 3→A, 4→C, 5→B
    chats = {1: 100, 2: 200, 3: 100, 4: 300, 5: 200}
    await inbox.store([text(u, c) for u, c in chats.items()], NOW)
    assert [r.update_id for r in await inbox.claim("a", 2, LEASE, NOW)] == [1, 2]
    # b may not take 3 (chat A waits behind a's 1) nor 5 (chat B behind a's 2)
    assert [r.update_id for r in await inbox.claim("b", 10, LEASE, NOW)] == [4]
    await inbox.mark_done(1, NOW)  # a finished 1: chat A is free again
    assert [r.update_id for r in await inbox.claim("b", 10, LEASE, NOW)] == [3, 4]


async def test_a_lapsed_claim_is_taken_over(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 100), text(2, 100)], NOW)
    assert [r.update_id for r in await inbox.claim("dead", 1, LEASE, NOW)] == [1]
    assert await inbox.claim("b", 10, LEASE, NOW + LEASE - timedelta(seconds=1)) == []
    later = NOW + LEASE + timedelta(seconds=1)
    assert [r.update_id for r in await inbox.claim("b", 10, LEASE, later)] == [1, 2]


async def test_nothing_pending_claims_nothing_and_writes_nothing(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 100)], NOW)
    await inbox.mark_done(1, NOW)
    assert await inbox.claim("a", 10, LEASE, NOW) == []
    row = await db.fetchone("SELECT claimed_by FROM inbox WHERE update_id = 1")
    assert row is not None and row[0] is None


async def test_two_owners_claiming_at_once_on_postgresql_get_disjoint_sets_in_chat_order(
    pg_url: str,
):
    # two connections' writers, as two processes have (a Database per process)
    first, second = Database(pg_url), Database(pg_url)
    await first.open()
    await second.open()
    try:
        # 200 updates over 20 chats, round robin
        await Inbox(first).store([text(u, 1000 + u % 20) for u in range(1, 201)], NOW)
        inboxes = {"a": Inbox(first), "b": Inbox(second)}
        taken: dict[str, list[int]] = {"a": [], "b": []}

        async def work(owner: str) -> None:
            inbox = inboxes[owner]
            for _ in range(200):
                rows = await inbox.claim(owner, 7, LEASE, NOW)
                if not rows:
                    return
                for row in rows:
                    taken[owner].append(row.update_id)
                    await inbox.mark_done(row.update_id, NOW)

        await asyncio.gather(work("a"), work("b"))
        both = taken["a"] + taken["b"]
        assert sorted(both) == list(range(1, 201))  # every update once
        assert not set(taken["a"]) & set(taken["b"])
        assert taken["a"] and taken["b"]  # both really worked
        for owner, ids in taken.items():  # each owner's share of a chat in order
            for chat in range(20):
                mine = [u for u in ids if u % 20 == chat]
                assert mine == sorted(mine), owner
    finally:
        await first.close()
        await second.close()


async def held_in_a_batch(db: Database, owner: str, ids: list[int], now: datetime) -> set[int]:
    async with db.batch() as batch:
        return await Inbox(db).hold(batch.conn, owner, ids, LEASE, now)


async def test_a_batch_holds_only_the_updates_still_claimed_by_its_owner(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 100), text(2, 200), text(3, 300)], NOW)
    assert [r.update_id for r in await inbox.claim("slow", 3, LEASE, NOW)] == [1, 2, 3]
    later = NOW + LEASE + timedelta(seconds=1)  # slow's claim lapsed: b took 1 and 2 over
    assert [r.update_id for r in await inbox.claim("b", 2, LEASE, later)] == [1, 2]
    await inbox.mark_done(2, later)
    assert await held_in_a_batch(db, "slow", [1, 2, 3], later) == {3}
    assert await held_in_a_batch(db, "b", [1, 2, 3], later) == {1}  # 2 is done
    assert await held_in_a_batch(db, "b", [], later) == set()


async def test_a_held_claim_is_renewed_on_postgresql(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 100)], NOW)
    await inbox.claim("a", 1, LEASE, NOW)
    later = NOW + LEASE - timedelta(seconds=1)
    assert await held_in_a_batch(db, "a", [1], later) == {1}
    after_lease = NOW + LEASE + timedelta(seconds=1)
    # the lease counts from the batch's start on PostgreSQL (several processes); on SQLite one
    # process owns the file and nobody else claims
    taken = [r.update_id for r in await inbox.claim("b", 1, LEASE, after_lease)]
    assert taken == ([] if db.dialect == "postgresql" else [1])


async def test_released_claims_are_taken_at_once(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 100), text(2, 100)], NOW)
    await inbox.claim("stopping", 2, LEASE, NOW)
    assert await inbox.claim("b", 10, LEASE, NOW) == []
    await inbox.release("stopping")
    assert [r.update_id for r in await inbox.claim("b", 10, LEASE, NOW)] == [1, 2]


async def test_a_start_does_not_charge_an_update_another_process_is_working_on(db: Database):
    inbox = Inbox(db)
    await inbox.store([text(1, 100), text(2, 200)], NOW)
    await inbox.claim("alive", 1, LEASE, NOW)  # 1 is in progress elsewhere
    assert await inbox.charge_oldest(3, "starting", NOW) is None
    rows = await db.fetchall("SELECT update_id, attempts FROM inbox ORDER BY update_id")
    assert [(r[0], r[1]) for r in rows] == [(1, 0), (2, 1)]
    # once that claim lapsed (its process died), 1 is the one charged
    await inbox.charge_oldest(3, "starting", NOW + LEASE + timedelta(seconds=1))
    rows = await db.fetchall("SELECT update_id, attempts FROM inbox ORDER BY update_id")
    assert [(r[0], r[1]) for r in rows] == [(1, 1), (2, 1)]
