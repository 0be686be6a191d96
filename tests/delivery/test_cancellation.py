"""A write cancelled at any point (griddesk run stopping) ends with the cancellation itself."""

from __future__ import annotations

import asyncio

from storage.db import Database


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
