"""storage/callins.py on a real SQLite file: one live call-in per party, compare-and-set, the
event log, and erasure of what a party member wrote."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain.callins import CallIn, CallInEvent, Event, State
from storage.callins import AlreadyIn, CallIns, StaleCallIn
from storage.db import to_db
from storage.privacy import erase_person

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


async def a_report(db) -> int:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO units (code, name, level) VALUES ('B1', '1栋', 'building')")
        cursor = await conn.execute(
            "INSERT INTO reports (reporter_id, category, unit, description, status, holder_unit,"
            " tier, created_at, updated_at) VALUES (5001, 'litter', 'B1', '垃圾', 'accepted',"
            " 'B1', 'grid', ?, ?)",
            (to_db(NOW), to_db(NOW)),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def new(report_id: int, party: str = "cg") -> tuple[CallIn, CallInEvent]:
    callin = CallIn(report_id, party, State.CALLED, 101, NOW, due_at=NOW, next_at=NOW)
    return callin, CallInEvent(Event.CALLED, 101, NOW, data={"party": party})


async def test_a_party_is_in_once_while_live_and_may_be_called_again_after(db):
    repo = CallIns(db)
    report = await a_report(db)
    first = await repo.insert(*new(report))

    with pytest.raises(AlreadyIn):
        await repo.insert(*new(report))
    assert len(await repo.of_report(report)) == 1

    finished = replace(first, state=State.DONE, done_by=411, note="好了", next_at=None)
    await repo.save(finished, CallInEvent(Event.DONE, 411, NOW, "好了"))
    again = await repo.insert(*new(report))
    assert again.id != first.id
    assert await repo.live_count(report) == 1
    assert [e.kind for e in await repo.events(first.id)] == [Event.CALLED, Event.DONE]


async def test_a_write_on_an_old_version_is_refused_and_writes_nothing(db):
    repo = CallIns(db)
    report = await a_report(db)
    stored = await repo.insert(*new(report))
    await repo.save(replace(stored, state=State.ACKED), CallInEvent(Event.ACKED, 411, NOW))

    with pytest.raises(StaleCallIn):
        await repo.save(
            replace(stored, state=State.WITHDRAWN), CallInEvent(Event.WITHDRAWN, 101, NOW)
        )

    assert (await repo.get(stored.id)).state is State.ACKED
    assert len(await repo.events(stored.id)) == 2


async def test_the_sweep_finds_only_call_ins_with_a_clock_due(db):
    repo = CallIns(db)
    report = await a_report(db)
    due = await repo.insert(*new(report, "cg"))
    stopped = await repo.insert(*new(report, "wy"))
    await repo.save(replace(stopped, next_at=None), CallInEvent(Event.STOPPED, None, NOW))

    assert await repo.due(NOW, 10) == [due.id]


@pytest.mark.sqlite_only
async def test_the_sweep_reads_its_partial_index(db):
    assert "callins_next" in " ".join(await CallIns(db).query_plan(NOW))


async def test_erasing_a_party_member_removes_their_note_and_photo_and_keeps_the_steps(db):
    repo = CallIns(db)
    report = await a_report(db)
    stored = await repo.insert(*new(report))
    done = replace(stored, state=State.DONE, done_by=411, note="张三家门口已清理", photo="ph")
    await repo.save(done, CallInEvent(Event.DONE, 411, NOW, "张三家门口已清理"))

    async with db.transaction() as conn:
        await erase_person(conn, 411, NOW, "（已删除）")

    after = await repo.get(stored.id)
    assert (after.state, after.note, after.photo) == (State.DONE, None, None)
    assert after.done_by is not None and after.done_by != 411
    events = await repo.events(stored.id)
    assert [e.note for e in events] == [None, None]
    assert 411 not in [e.actor_id for e in events]
