"""reads_apart: the web app's reads on a reader of their own, beside the bot's (storage/db.py on
SQLite, storage/pg.py on PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage.db import Database, reads_apart


def connections(db: Database) -> tuple[Any, Any, Any]:
    """Returns the (writer, bot's reader, reader apart) connections DB holds now."""
    if db.dialect == "postgresql":
        return db._writer_pg, db._reader_pg, db._apart_pg  # type: ignore[attr-defined]
    return db._writer, db._reader, db._apart


async def test_reads_apart_go_to_their_own_reader_and_see_what_was_committed(db: Database):
    async with db.transaction(completes_update=False) as conn:
        await conn.execute("INSERT INTO web_state (key, value) VALUES ('apart', 'committed')")
    assert connections(db)[2] is None  # opened by the first read apart, never before

    with reads_apart():
        row = await db.fetchone("SELECT value FROM web_state WHERE key = 'apart'")
    writer, reader, apart = connections(db)

    assert row is not None and row[0] == "committed"
    assert apart is not None and apart is not reader and apart is not writer


@pytest.mark.sqlite_only
async def test_a_read_apart_does_not_wait_for_a_read_held_on_the_bot_s_reader(db: Database):
    # The bot's reader is busy (its thread held by a slow call); a read apart still answers.
    assert db._reader is not None
    release = asyncio.Event()
    loop = asyncio.get_running_loop()
    held = asyncio.Event()

    def hold() -> None:
        loop.call_soon_threadsafe(held.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=30)

    blocking = asyncio.ensure_future(db._reader._execute(hold))
    await asyncio.wait_for(held.wait(), timeout=10)
    with reads_apart():
        row = await asyncio.wait_for(db.fetchone("SELECT COUNT(*) FROM sqlite_master"), timeout=10)
    waiting_behind = asyncio.ensure_future(db.fetchone("SELECT 1"))
    await asyncio.sleep(0.05)  # the bot's own read stays queued behind the held call
    still_waiting = not waiting_behind.done()
    release.set()
    await blocking
    await waiting_behind

    assert row is not None and row[0] > 0
    assert still_waiting


async def test_a_read_apart_does_not_wait_for_the_bot_s_busy_postgresql_reader(
    pg_url: str,
) -> None:
    # The bot's reader connection is busy (psycopg lets one statement run on it at a time: its
    # lock is held here as a long query would hold it); a read apart still answers.
    db = await Database(pg_url).open()
    try:
        reader = db._reader_pg  # type: ignore[attr-defined]
        async with reader.raw.lock:
            with reads_apart():
                row = await asyncio.wait_for(
                    db.fetchone("SELECT COUNT(*) FROM information_schema.tables"), timeout=10
                )
            waiting_behind = asyncio.ensure_future(db.fetchone("SELECT 1"))
            await asyncio.sleep(0.05)  # the bot's own read stays queued behind the held one
            still_waiting = not waiting_behind.done()
        assert await asyncio.wait_for(waiting_behind, timeout=10) is not None
    finally:
        await db.close()

    assert row is not None and row[0] > 0
    assert still_waiting


async def test_a_read_apart_inside_a_write_transaction_sees_the_transaction_s_writes(db: Database):
    with reads_apart():
        async with db.transaction(completes_update=False) as conn:
            await conn.execute("INSERT INTO web_state (key, value) VALUES ('apart', 'pending')")
            row = await db.fetchone("SELECT value FROM web_state WHERE key = 'apart'")

    assert row is not None and row[0] == "pending"
