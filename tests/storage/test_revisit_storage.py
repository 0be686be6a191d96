"""回访 tasks on both backends: the closing event creates one (trigger, every writer), only for
categories marked `revisit`; writes are compare-and-set; /revisits leaves out the case's
handlers; the counts; erasure and retention take what the resident said."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.privacy import Retention, cutoffs
from bot.domain.reports import Action, ReportEvent, Status
from bot.domain.revisit import State
from storage.db import to_db
from storage.privacy import Privacy, erase_person
from storage.revisit import Revisits, StaleRevisit

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
RESIDENT, WORKER, CALLER = 5001, 101, 201


async def _office(db) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO units (code, name, level) VALUES ('C1', '社区', 'community')"
        )
        await conn.execute(
            "INSERT INTO units (code, name, level, parent) VALUES ('B1', '1栋', 'building', 'C1')"
        )
        await conn.execute(
            "INSERT INTO categories (code, name_zh, name_en, position, revisit)"
            " VALUES ('litter', '环境', 'Litter', 0, 1), ('road', '道路', 'Roads', 1, 0)"
        )


async def _case(db, category: str = "litter", *, closing: str = "confirm", at=NOW) -> int:
    """A report of CATEGORY accepted and resolved by WORKER, then closed by CLOSING."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO reports (reporter_id, category, unit, description, status, holder_unit,"
            " tier, created_at, updated_at) VALUES (?, ?, 'B1', '垃圾', 'closed', 'B1', 'grid',"
            " ?, ?)",
            (RESIDENT, category, to_db(at), to_db(at)),
        )
        report_id = cursor.lastrowid
        for action, actor in (("accept", WORKER), ("resolve", WORKER), (closing, None)):
            await conn.execute(
                "INSERT INTO report_events (report_id, action, new, actor_id, at)"
                " VALUES (?, ?, 'closed', ?, ?)",
                (report_id, action, actor, to_db(at)),
            )
    assert report_id is not None
    return report_id


async def test_a_closing_creates_one_task_only_for_categories_marked_revisit(db):
    await _office(db)
    confirmed = await _case(db)
    expired = await _case(db, closing="expire")
    await _case(db, "road")  # not marked
    await _case(db, closing="comment")  # not a closing
    rows = await db.fetchall(
        "SELECT report_id, state, closed_at, next_at FROM revisits ORDER BY id"
    )
    assert [(r["report_id"], r["state"]) for r in rows] == [(confirmed, "new"), (expired, "new")]
    assert rows[0]["closed_at"] == rows[0]["next_at"] == to_db(NOW)  # due at once: the cards


async def test_a_write_is_compare_and_set_with_its_events_in_the_same_commit(db):
    await _office(db)
    report_id = await _case(db)
    repo = Revisits(db)
    [task] = await repo.due(NOW, 10)
    opened = replace(task, state=State.OPEN, due_at=NOW, next_at=NOW + timedelta(days=3))
    event = ReportEvent(
        Action.REVISIT, Status.CLOSED, Status.CLOSED, None, NOW, None, {"revisit": 1}, report_id
    )
    saved = await repo.save(opened, expect_version=task.version, events=[event], at=NOW)
    assert saved.version == task.version + 1
    with pytest.raises(StaleRevisit):  # a second writer with the old version
        await repo.save(opened, expect_version=task.version, events=[event], at=NOW)
    actions = await db.fetchall(
        "SELECT action FROM report_events WHERE report_id = ? ORDER BY id", (report_id,)
    )
    assert [a[0] for a in actions] == ["accept", "resolve", "confirm", "revisit"]
    assert await repo.due(NOW + timedelta(days=2), 10) == []
    assert [t.id for t in await repo.due(NOW + timedelta(days=3), 10)] == [task.id]


async def test_the_waiting_list_leaves_out_the_case_s_handlers_and_pages(db):
    await _office(db)
    ids = [await _case(db, at=NOW + timedelta(minutes=i)) for i in range(3)]
    repo = Revisits(db)
    page, total = await repo.waiting(CALLER, ["C1", "B1"], offset=0, limit=2)
    assert total == 3 and [t.report_id for t in page] == ids[:2]
    page, _ = await repo.waiting(CALLER, ["C1", "B1"], offset=2, limit=2)
    assert [t.report_id for t in page] == ids[2:]
    assert await repo.waiting(WORKER, None, offset=0, limit=10) == ([], 0)  # handled them all
    assert (await repo.waiting(CALLER, ["G9"], offset=0, limit=10))[1] == 0  # elsewhere


async def test_the_counts_say_satisfied_not_and_waiting(db):
    await _office(db)
    for _ in range(3):
        await _case(db)
    repo = Revisits(db)
    tasks = await repo.due(NOW, 10)
    for task, satisfied in zip(tasks, (True, False), strict=False):
        answered = replace(
            task, state=State.ANSWERED, satisfied=satisfied, answered_by=CALLER, answered_at=NOW
        )
        await repo.save(answered, expect_version=task.version, at=NOW)
    day = timedelta(days=1)
    assert await repo.counts(["B1"], NOW - day, NOW + day) == (1, 1, 1)
    assert await repo.counts(None, NOW + day, NOW + 2 * day) == (0, 0, 0)


async def _answered(db, note: str) -> int:
    await _office(db)
    report_id = await _case(db)
    repo = Revisits(db)
    [task] = await repo.due(NOW, 10)
    answered = replace(
        task,
        state=State.ANSWERED,
        satisfied=False,
        note=note,
        answered_by=CALLER,
        answered_at=NOW,
    )
    event = ReportEvent(
        Action.REVISIT_ANSWER, Status.CLOSED, Status.CLOSED, CALLER, NOW, note, {}, report_id
    )
    await repo.save(answered, expect_version=task.version, events=[event], at=NOW)
    return report_id


async def test_erasing_the_resident_takes_what_they_said_and_keeps_the_answer(db):
    report_id = await _answered(db, "居民说楼道还是很脏")
    async with db.transaction() as conn:
        await erase_person(conn, RESIDENT, NOW, "（已删除）")
    [task] = await db.fetchall("SELECT note, satisfied, answered_by FROM revisits")
    assert tuple(task) == (None, 0, CALLER)
    notes = await db.fetchall(
        "SELECT note FROM report_events WHERE report_id = ? AND action = 'revisit_answer'",
        (report_id,),
    )
    assert [n[0] for n in notes] == [None]


async def test_erasing_the_caller_leaves_a_pseudonym_that_still_counts(db):
    await _answered(db, "居民说楼道还是很脏")
    async with db.transaction() as conn:
        await erase_person(conn, CALLER, NOW, "（已删除）")
    [task] = await db.fetchall("SELECT note, satisfied, answered_by FROM revisits")
    assert task["answered_by"] < 0 and (task["note"], task["satisfied"]) == (None, 0)


async def test_the_note_goes_with_the_case_s_personal_fields_after_case_years(db):
    await _answered(db, "居民说楼道还是很脏")
    later = NOW + timedelta(days=3 * 365 + 2)
    assert (await Privacy(db).prune(later, cutoffs(Retention(), later)))["reports"] == 1
    [task] = await db.fetchall("SELECT note, satisfied FROM revisits")
    assert tuple(task) == (None, 0)
    events = await db.fetchall("SELECT note FROM report_events WHERE action = 'revisit_answer'")
    assert [e[0] for e in events] == [None]
