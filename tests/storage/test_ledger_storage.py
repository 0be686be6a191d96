"""storage/ledger.py on both backends: pages keyed on (time, id) lose and repeat nothing
at ties, the period is [start, end), units filter, nothing personal is read; the export
requests' claim and finish are compare-and-set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from storage import ledger as ledger_module
from storage.db import to_db
from storage.ledger import Ledgers
from storage.outbox import Outgoing

START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
UNITS = [
    ("D1", "区", "district", None),
    ("G1", "网格一", "grid", "D1"),
    ("G2", "网格二", "grid", "D1"),
]


async def fill(db) -> None:
    """Five reports at the same instant inside the period (ties), one at each edge, one at G2,
    and a visit, a patrol, points, a wish and an activity in G1."""
    inside = to_db(START + timedelta(days=3))
    async with db.transaction() as conn:
        for code, name, level, parent in UNITS:
            await conn.execute(
                "INSERT INTO units (code, name, level, parent) VALUES (?, ?, ?, ?)",
                (code, name, level, parent),
            )
        moments = [to_db(START), *[inside] * 5, to_db(END - timedelta(microseconds=1)),
                   to_db(END), to_db(START - timedelta(microseconds=1))]  # fmt: skip
        for index, at in enumerate(moments):
            unit = "G2" if index == 3 else "G1"
            cursor = await conn.execute(
                "INSERT INTO reports (reporter_id, category, unit, description, contact, status,"
                " holder_unit, tier, created_at, updated_at) VALUES (5001, 'litter', ?,"
                " '王阿姨家门口', '13900000000', 'open', ?, 'grid', ?, ?)",
                (unit, unit, at, at),
            )
            await conn.execute(
                "INSERT INTO report_events (report_id, action, new, actor_id, at, note)"
                " VALUES (?, 'submit', 'open', 5001, ?, '王阿姨')",
                (cursor.lastrowid, at),
            )
        await conn.execute(
            "INSERT INTO households (kind, unit, label, cadence, visitor_id, visitor_kind, notes,"
            " due_on, stage, created_by, created_at, updated_at) VALUES ('empty_nest', 'G1',"
            " '3单元502', 'weekly', 6001, 'volunteer', '独居', '2026-12-01', 'scheduled', 201,"
            " ?, ?)",
            (inside, inside),
        )
        await conn.execute(
            "INSERT INTO visits (household_id, visitor_id, visitor_kind, at, outcome, due_on,"
            " note, report_id) VALUES (1, 6001, 'volunteer', ?, 'met', '2026-12-01', '老人很好',"
            " 2)",
            (inside,),
        )
        await conn.execute(
            "INSERT INTO staff (user_id, name, role, unit)"
            " VALUES (101, '李网格', 'grid_worker', 'G1')"
        )
        await conn.execute(
            "INSERT INTO patrols (worker_id, kind, unit, note, at) VALUES (101, 'patrol', 'G1',"
            " '3单元门口', ?)",
            (inside,),
        )
        await conn.execute(
            "INSERT INTO volunteers (user_id, name, phone, unit, status, created_at, updated_at)"
            " VALUES (6001, '张三丰', '13800000000', 'G1', 'approved', ?, ?)",
            (inside, inside),
        )
        await conn.execute(
            "INSERT INTO points_ledger (volunteer_id, kind, ref, points, at)"
            " VALUES (6001, 'wish', '7', 5, ?)",
            (inside,),
        )
        await conn.execute(
            "INSERT INTO wishes (posted_by, resident_id, unit, category, text, contact_name,"
            " contact_phone, status, created_at, updated_at) VALUES (5001, 5001, 'G1', 'other',"
            " '想要一台收音机', '王奶奶', '13700000000', 'open', ?, ?)",
            (inside, inside),
        )
        await conn.execute(
            "INSERT INTO activities (title, starts_at, place, capacity, unit, organiser_id,"
            " created_at) VALUES ('清扫楼道', ?, '广场', 10, 'G1', 201, ?)",
            (inside, inside),
        )
        await conn.execute(
            "INSERT INTO signups (activity_id, volunteer_id, status, position, created_at,"
            " updated_at) VALUES (1, 6001, 'attended', 1, ?, ?)",
            (inside, inside),
        )


async def collect(pages) -> list:
    return [record async for page in pages for record in page]


async def test_pages_keep_every_case_once_at_ties_and_both_edges(db, monkeypatch):
    await fill(db)
    monkeypatch.setattr(ledger_module, "PAGE", 2)
    pages = [page async for page in Ledgers(db).cases(START, END, None, END)]
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    ids = [record.history.report_id for page in pages for record in page]
    assert ids == [1, 2, 3, 4, 5, 6, 7]  # the one at END and the one before START are out
    assert pages[0][0].history.steps[0].action == "submit"


async def test_units_filter_and_as_of(db):
    await fill(db)
    g1 = await collect(Ledgers(db).cases(START, END, ["G1"], END))
    assert 4 not in [record.history.report_id for record in g1]
    early = await collect(Ledgers(db).cases(START, END, ["G1"], START))
    assert [len(record.history.steps) for record in early] == [1] + [0] * 5


async def test_the_other_sheets_read_their_rows_without_personal_data(db):
    await fill(db)
    ledgers = Ledgers(db)
    [visit] = await collect(ledgers.visits(START, END, ["G1"]))
    assert (visit.household_kind, visit.outcome, visit.report_id) == ("empty_nest", "met", 2)
    [patrol] = await collect(ledgers.patrols(START, END, ["G1"]))
    assert (patrol.worker, patrol.worker_role, patrol.findings) == ("李网格", "grid_worker", 0)
    [points] = await collect(ledgers.points(START, END, ["G1"]))
    assert (points.volunteer, points.points, points.ref) == ("张**", 5, "7")
    [wish] = await collect(ledgers.wishes(START, END, ["G1"]))
    assert (wish.number, wish.status) == ("W000001", "open")
    [activity] = await collect(ledgers.activities(START, END, ["G1"]))
    assert (activity.title, activity.going, activity.attended) == ("清扫楼道", 1, 1)
    assert await collect(ledgers.visits(START, END, ["G2"])) == []
    everything = repr([visit, patrol, points, wish, activity])
    for personal in ("3单元502", "独居", "老人很好", "张三丰", "13800000000", "收音机", "王奶奶"):
        assert personal not in everything


async def test_any_rows(db):
    await fill(db)
    ledgers = Ledgers(db)
    assert await ledgers.any_rows(START, END, ["G2"])
    assert not await ledgers.any_rows(START - timedelta(days=60), START - timedelta(days=30), None)


async def test_a_request_is_claimed_once_and_finished_once(db):
    ledgers = Ledgers(db)
    now = START
    first = await ledgers.request(101, "G1", date(2026, 11, 1), date(2026, 11, 30), "zh", now, [])
    assert first is not None
    assert (
        await ledgers.request(101, "G1", date(2026, 11, 1), date(2026, 11, 2), "zh", now, [])
        is None
    )
    [job] = await ledgers.due(now)
    assert await ledgers.claim(job, now, timedelta(minutes=30))
    assert not await ledgers.claim(job, now, timedelta(minutes=30))  # another pass
    assert await ledgers.due(now + timedelta(minutes=29)) == []
    [again] = await ledgers.due(now + timedelta(minutes=31))  # a crash: the lease ended
    assert again.attempts == 1

    def message(ref):
        return [Outgoing(101, "sendDocument", {"document": ref})]

    assert await ledgers.finish(job.id, now, message, file=(101, "a.xlsx", b"PK"))
    assert not await ledgers.finish(job.id, now, message, file=(101, "a.xlsx", b"PK"))
    assert len(await db.fetchall("SELECT * FROM outbox_files")) == 1
    assert len(await db.fetchall("SELECT * FROM outbox WHERE method = 'sendDocument'")) == 1


@pytest.mark.parametrize("units", [None, ["G1", "G2"]])
async def test_an_empty_period_has_no_rows(db, units):
    await fill(db)
    later = END + timedelta(days=40)
    assert await collect(Ledgers(db).cases(later, later + timedelta(days=1), units, later)) == []
