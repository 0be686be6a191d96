"""A write cancelled at any point (griddesk run stopping) ends with the cancellation itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.backup import DatabaseLock
from storage.db import Database
from tests.conftest import seeded


async def test_a_transaction_cancelled_anywhere_raises_cancelled_and_leaves_no_half_write(
    db: Database,
):
    async def write(n: int) -> None:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chats (chat_id, updated_at) VALUES (?, '2026-01-01')", (n,)
            )

    outcomes = set()
    for n in range(60):  # cancel after 0, 1, 2 … loop turns: sooner or later inside COMMIT
        task = asyncio.create_task(write(n))
        for _ in range(n):
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
            outcomes.add("done")
        except asyncio.CancelledError:
            outcomes.add("cancelled")
        await write(10_000 + n)  # the connection is usable afterwards, not inside a transaction
    assert "cancelled" in outcomes
    rows = await db.fetchall("SELECT COUNT(*) FROM chats WHERE chat_id >= 10000")
    assert rows[0][0] == 60


async def test_a_close_cancelled_anywhere_closes_both_connections_and_releases_the_lock(
    tmp_path: Path, migrated_template: Path
):
    path = await seeded(migrated_template, tmp_path / "cancelled.sqlite3")
    outcomes = set()
    for n in range(1, 13):  # cancel after 1, 2 … loop turns: in the first close, the second
        db = await Database(path).open()
        connections = [db._reader, db._writer]
        task = asyncio.create_task(db.close())
        for _ in range(n):  # the first turn starts the close
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
            outcomes.add("done")
        except asyncio.CancelledError:
            outcomes.add("cancelled")
        for conn in connections:
            assert conn is not None
            await asyncio.to_thread(conn._thread.join, 10)  # its worker thread ends
            assert not conn._thread.is_alive()
        lock = DatabaseLock(path)
        assert lock.acquire(exclusive=True)  # what `griddesk restore` takes
        lock.release()
    assert "cancelled" in outcomes
