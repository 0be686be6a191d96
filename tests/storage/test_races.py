"""Two instances on one database writing at once: what one of them reads before it writes must
still hold when it writes. On SQLite one writer lock serialises the transactions; on PostgreSQL
(READ COMMITTED) two processes' transactions run side by side, so a look followed by a write is
safe only when a unique index, a row lock or a compare-and-set backs it. Each test holds the
first process's transaction open at the point of the race, lets the second process's write run
until it ends or waits for a lock, then commits the first: on both backends the second must see
the first's write."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from bot.domain.callins import CallIn, CallInEvent, Event, State
from bot.domain.people import Role
from storage.callins import CallIns
from storage.db import Database, to_db
from storage.ledger import Ledgers
from storage.people import InviteError, People

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def second_process(db) -> AsyncIterator[Database]:
    """Another process's Database on the same database as DB (its own writer connection)."""
    other = await Database(getattr(db, "url", None) or db.path).open()
    yield other
    await other.close()


async def waits_or_ends(task: asyncio.Task, db, backend: str) -> None:
    """Returns once TASK (the second process's write) has ended or waits for a lock held by the
    first. On SQLite it cannot get past BEGIN IMMEDIATE meanwhile: a few turns do."""
    turns = 500 if backend == "postgresql" else 20
    for _ in range(turns):  # bounded: at most 5 s
        if task.done():
            return
        if backend == "postgresql":
            async with await psycopg.AsyncConnection.connect(db.url, autocommit=True) as c:
                cursor = await c.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                row = await cursor.fetchone()
            if row is not None and row[0] > 0:
                return
        await asyncio.sleep(0.01)


async def race(
    db: Database,
    other: Database,
    backend: str,
    first: Callable[[Database], Awaitable[Any]],
    second: Callable[[Database], Awaitable[Any]],
) -> tuple[Any, Any]:
    """Runs FIRST on DB in a transaction held open until SECOND (on OTHER) ends or waits for
    a lock; returns both outcomes (an exception SECOND raised is its outcome)."""
    async with db.transaction():
        one = await first(db)
        task = asyncio.create_task(second(other))
        await waits_or_ends(task, db, backend)
    try:
        two = await task
    except Exception as raised:  # the outcome under test
        two = raised
    return one, two


# Staff invites -----------------------------------------------------------------------------


async def test_an_invite_redeemed_by_two_people_at_once_enrols_one(db, second_process, backend):
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO units (code, name, level) VALUES ('G1', '一网格', 'grid')")
    token = await People(db).create_invite(Role.GRID_WORKER, "G1", "", NOW, timedelta(hours=1))

    one, two = await race(
        db,
        second_process,
        backend,
        lambda d: People(d).redeem_invite(token, 7001, "甲", NOW),
        lambda d: People(d).redeem_invite(token, 7002, "乙", NOW),
    )

    assert one.user_id == 7001
    assert isinstance(two, InviteError) and two.key == "invite.used"
    assert await People(db).staff(7002) is None
    rows = await db.fetchall("SELECT user_id FROM staff WHERE source = 'invite'")
    assert [row[0] for row in rows] == [7001]


# 台账 exports ------------------------------------------------------------------------------


async def test_two_exports_asked_at_once_leave_one_waiting(db, second_process, backend):
    def ask(d: Database) -> Awaitable[int | None]:
        return Ledgers(d).request(101, "G1", date(2026, 11, 1), date(2026, 11, 30), "zh", NOW, [])

    one, two = await race(db, second_process, backend, ask, ask)

    assert one is not None and two is None
    rows = await db.fetchall("SELECT id FROM ledger_exports WHERE due_at IS NOT NULL")
    assert [row[0] for row in rows] == [one]


# 吹哨报到: the last party done -----------------------------------------------------------------


async def a_report_with_two_parties(db: Database) -> tuple[CallIn, CallIn]:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO units (code, name, level) VALUES ('B1', '1栋', 'building')")
        cursor = await conn.execute(
            "INSERT INTO reports (reporter_id, category, unit, description, status, holder_unit,"
            " tier, created_at, updated_at) VALUES (5001, 'litter', 'B1', '垃圾', 'accepted',"
            " 'B1', 'grid', ?, ?)",
            (to_db(NOW), to_db(NOW)),
        )
    assert cursor.lastrowid is not None
    called = []
    for party in ("cg", "wy"):
        callin = CallIn(cursor.lastrowid, party, State.ACKED, 101, NOW, due_at=NOW, next_at=NOW)
        called.append(
            await CallIns(db).insert(callin, CallInEvent(Event.CALLED, 101, NOW, data={}))
        )
    return called[0], called[1]


async def test_two_parties_finishing_at_once_one_of_them_sees_all_done(db, second_process, backend):
    """The use case (bot/usecases/callins.finish) saves a party's call-in as done and then
    counts the live ones in the same transaction: the last to finish says "all done"."""
    cg, wy = await a_report_with_two_parties(db)

    def finish(callin: CallIn) -> Callable[[Database], Awaitable[int]]:
        async def run(d: Database) -> int:
            async with d.transaction():
                done = replace(callin, state=State.DONE, done_by=411, done_at=NOW, next_at=None)
                await CallIns(d).save(done, CallInEvent(Event.DONE, 411, NOW, "好了"))
                return await CallIns(d).live_count(callin.report_id)

        return run

    one, two = await race(db, second_process, backend, finish(cg), finish(wy))

    assert (one, two) == (1, 0)
    assert await CallIns(db).live_count(cg.report_id) == 0
