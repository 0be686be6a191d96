"""storage/db.py Database.batch: group commit — several updates in one write transaction, each
in a savepoint, a handler's transaction in a nested one; network calls after the commit."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest

from storage.db import Database, after_commit, batch_generation, current_update
from storage.inbox import Inbox

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def text(update_id: int) -> dict[str, object]:
    chat = {"id": 500 + update_id, "type": "private"}
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "chat": chat}}


async def values(db: Database) -> dict[str, str]:
    rows = await db.fetchall("SELECT key, value FROM web_state ORDER BY key")
    return {r[0]: r[1] for r in rows}


async def states(db: Database) -> dict[int, str]:
    rows = await db.fetchall("SELECT update_id, state FROM inbox ORDER BY update_id")
    return {int(r[0]): r[1] for r in rows}


async def handle(db: Database, update_id: int, key: str, *, fail: bool = False) -> None:
    """What a handler does: its own transaction (a savepoint in the batch) marks the update."""
    token = current_update.set(update_id)
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO web_state (key, value) VALUES (?, 'x')", (key,))
            if fail:
                raise RuntimeError("the handler's bug")
    finally:
        current_update.reset(token)


async def test_a_batch_commits_once_and_a_failing_transaction_rolls_back_alone(db: Database):
    await Inbox(db).store([text(1), text(2), text(3)], NOW)
    commits: list[int] = []
    db.on_commit.append(lambda: commits.append(1))
    async with db.batch() as batch:
        for update_id, key in ((1, "a"), (2, "b"), (3, "c")):
            async with batch.savepoint():
                # the handler's error: its transaction is rolled back, the batch goes on
                with contextlib.suppress(RuntimeError):
                    await handle(db, update_id, key, fail=update_id == 2)
                # the batch's reads see its own writes
                assert (key in await values(db)) is (update_id != 2)
        assert commits == []  # nothing committed yet
    assert commits == [1]  # one commit for the batch
    assert await values(db) == {"a": "x", "c": "x"}
    assert await states(db) == {1: "done", 2: "new", 3: "done"}


async def test_an_error_out_of_the_batch_rolls_all_of_it_back_and_drops_its_network_calls(
    db: Database,
):
    await Inbox(db).store([text(1)], NOW)
    made: list[str] = []

    async def answer() -> None:
        made.append("answer")

    with pytest.raises(OSError):
        async with db.batch() as batch:
            async with batch.savepoint():
                await handle(db, 1, "a")
                await after_commit(answer)
            raise OSError("disk")
    assert made == []
    assert await values(db) == {}
    assert await states(db) == {1: "new"}


async def test_network_calls_wait_for_the_commit_inside_a_batch_only(db: Database):
    made: list[str] = []

    async def answer() -> None:
        made.append("answer")

    await after_commit(answer)
    assert made == ["answer"]  # outside a batch: at once
    async with db.batch() as batch:
        await after_commit(answer)
        assert made == ["answer"]
    assert len(batch.deferred) == 1  # the caller (the poller) makes it after the commit
    await batch.deferred[0]()
    assert made == ["answer", "answer"]


async def test_each_batch_has_its_own_generation_for_caches(db: Database):
    assert batch_generation() is None
    async with db.batch():
        first = batch_generation()
    async with db.batch():
        second = batch_generation()
    assert first is not None and second is not None and first != second


async def test_a_handler_marking_its_update_twice_writes_it_once(db: Database):
    await Inbox(db).store([text(1)], NOW)
    async with db.batch() as batch:
        await handle(db, 1, "a")
        await handle(db, 1, "b")
        await batch.complete(1)
        assert batch.done == {1}
    assert await states(db) == {1: "done"}
