"""The deadline sweep's storage on a real SQLite file: the due index and compare-and-set steps."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import aiosqlite
import pytest

from bot.domain import reports as domain
from bot.domain.reports import Action, Report, Status, Timer, Window
from bot.domain.units import Tier, Unit
from storage import outbox
from storage.db import Database, to_db
from storage.deadlines import Deadlines, Step
from storage.followers import Followers
from storage.outbox import Outgoing
from storage.people import People
from storage.reports import Reports
from storage.units import Units

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
UNITS = [Unit("C1", "春晖社区", "community"), Unit("G1", "第一网格", "grid", "C1")]


@pytest.fixture
async def reports(db: Database) -> Reports:
    await Units(db).replace_from_config(UNITS, [])
    return Reports(db)


def timer(next_in: timedelta | None, window: Window = Window.ACCEPT) -> Timer:
    next_at = AT + next_in if next_in is not None else None
    return Timer(window, AT, AT + timedelta(hours=1), AT + timedelta(hours=3), next_at)


def new(next_in: timedelta | None = timedelta(hours=1), **fields: object) -> Report:
    base = Report(
        reporter_id=5001,
        category="litter",
        unit="G1",
        description="楼道堆物",
        photos=("p1",),
        created_at=AT,
        updated_at=AT,
        holder_unit="G1",
        tier=Tier.GRID,
        assignee_id=101,
        due_at=AT + timedelta(hours=2),
        timer=timer(next_in),
    )
    return replace(base, **fields)


async def store(reports: Reports, report: Report) -> Report:
    event = domain.submit(report, actor_id=report.reporter_id, at=AT)

    async def nothing(stored: Report) -> list[Outgoing]:
        return []

    return await reports.create(report, event, nothing)


async def count(db: Database, sql: str) -> int:
    row = await db.fetchone(sql)
    assert row is not None
    return int(row[0])


@pytest.mark.sqlite_only  # SQLite's plan (EXPLAIN QUERY PLAN)
async def test_the_due_query_reads_only_the_partial_index(db, reports):
    for hours in range(50):
        await store(reports, new(timedelta(hours=hours)))
    await db.fetchall("ANALYZE")
    plan = " | ".join(await Deadlines(db).query_plan(AT))
    assert "USING COVERING INDEX reports_next_action" in plan, plan
    assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan


async def test_due_returns_what_is_due_most_overdue_first(db, reports):
    later = await store(reports, new(timedelta(hours=5)))
    soon = await store(reports, new(timedelta(hours=1)))
    sooner = await store(reports, new(timedelta(minutes=30)))
    await store(reports, new(None))  # nothing planned
    due = await Deadlines(db).due(AT + timedelta(hours=2), limit=10)
    assert [d.report_id for d in due] == [sooner.id, soon.id]
    assert due[0].next_at == AT + timedelta(minutes=30)
    assert [d.report_id for d in await Deadlines(db).due(AT + timedelta(hours=9), 1)] == [sooner.id]
    assert later.id not in [d.report_id for d in due]


async def test_a_timer_survives_the_database(reports):
    report = new()
    assert report.timer is not None
    spent = replace(report.timer, nag_day=date(2026, 11, 24), nags=2)
    stored = await store(reports, replace(report, timer=spent))
    again = await reports.get(stored.id)
    assert again is not None and again.timer == spent and again.due_at == report.due_at


async def test_a_closed_report_leaves_the_index(db, reports):
    stored = await store(reports, new(timedelta(minutes=1)))
    closed, event = domain.move(stored, Action.REJECT, actor_id=101, at=AT)
    await reports.save(closed, event, [], expect_version=stored.version)
    assert await Deadlines(db).due(AT + timedelta(days=30), 10) == []
    row = await db.fetchone("SELECT next_action_at, due_at FROM reports WHERE id = ?", (stored.id,))
    assert row["next_action_at"] is None and row["due_at"] is not None  # the deadline is kept


def nag_step(report: Report, due, text: str = "催办") -> Step:
    after, event = domain.move(report, Action.NAG, actor_id=None, at=AT + timedelta(hours=2))
    assert after.timer is not None
    after = replace(after, timer=replace(after.timer, next_at=AT + timedelta(hours=4), nags=1))
    return Step(due, report.version, after, event, [Outgoing(101, "sendMessage", {"text": text})])


async def test_a_step_is_taken_once_when_two_sweeps_read_the_same_report(db, reports):
    stored = await store(reports, new())
    [due] = await Deadlines(db).due(AT + timedelta(hours=2), 10)
    first = await Deadlines(db).apply([nag_step(stored, due)], AT)
    second = await Deadlines(db).apply([nag_step(stored, due)], AT)
    assert (first.acted, second.acted, second.written) == (1, 0, 0)
    assert await count(db, "SELECT COUNT(*) FROM report_events WHERE action = 'nag'") == 1
    assert await count(db, "SELECT COUNT(*) FROM outbox WHERE chat_id = 101") == 1
    after = await reports.get(stored.id)
    assert after is not None and after.version == stored.version + 1


async def test_a_step_is_not_taken_when_a_person_moved_the_report_meanwhile(db, reports):
    stored = await store(reports, new())
    [due] = await Deadlines(db).due(AT + timedelta(hours=2), 10)
    accepted, event = domain.move(stored, Action.ACCEPT, actor_id=101, at=AT + timedelta(hours=1))
    await reports.save(accepted, event, [], expect_version=stored.version)
    applied = await Deadlines(db).apply([nag_step(stored, due)], AT)
    assert applied.written == 0
    assert await count(db, "SELECT COUNT(*) FROM report_events WHERE action = 'nag'") == 0


async def test_a_deferred_step_does_not_make_open_cards_stale(db, reports):
    stored = await store(reports, new())
    [due] = await Deadlines(db).due(AT + timedelta(hours=2), 10)
    assert stored.timer is not None
    later = replace(stored, timer=replace(stored.timer, next_at=AT + timedelta(hours=9)))
    applied = await Deadlines(db).apply([Step(due, stored.version, later)], AT)
    assert (applied.written, applied.acted) == (1, 0)
    again = await reports.get(stored.id)
    assert again is not None and again.version == stored.version  # a press on a card still works
    assert again.timer is not None and again.timer.next_at == AT + timedelta(hours=9)
    # … but a second sweep that read the old next_action_at does not apply its step.
    assert (await Deadlines(db).apply([nag_step(stored, due)], AT)).written == 0


async def test_two_instances_on_one_database_take_each_step_once(tmp_path: Path, db, reports):
    stored = [await store(reports, new()) for _ in range(20)]
    other = await Database(tmp_path / "test.sqlite3").open()
    try:
        now = AT + timedelta(hours=2)
        due_here = await Deadlines(db).due(now, 100)
        due_there = await Deadlines(other).due(now, 100)
        by_id = {r.id: r for r in stored}
        results = await asyncio.gather(
            Deadlines(db).apply([nag_step(by_id[d.report_id], d, "一") for d in due_here], now),
            Deadlines(other).apply([nag_step(by_id[d.report_id], d, "二") for d in due_there], now),
        )
    finally:
        await other.close()
    assert sum(r.acted for r in results) == 20
    assert await count(db, "SELECT COUNT(*) FROM report_events WHERE action = 'nag'") == 20
    assert await count(db, "SELECT COUNT(*) FROM outbox") == 20


async def test_reports_stored_before_deadlines_get_a_clock_on_the_first_pass(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    core = resources.files("storage.migrations").joinpath("0001_core.sql").read_text("utf-8")
    async with aiosqlite.connect(path) as conn:
        await conn.executescript(core + "\nPRAGMA user_version = 1;")
        await conn.execute(
            "INSERT INTO units (code, name, level) VALUES ('G1', 'g', 'grid')",
        )
        for status in ("open", "accepted", "resolved", "closed"):
            await conn.execute(
                "INSERT INTO reports (category, unit, description, status, holder_unit, tier,"
                " created_at, updated_at) VALUES ('litter', 'G1', 'x', ?, 'G1', 'grid', ?, ?)",
                (status, to_db(AT), to_db(AT)),
            )
        await conn.commit()
    db = await Database(path).open()
    try:
        due = await Deadlines(db).due(AT, 10)
        assert len(due) == 3  # not the closed one
        report = await Reports(db).get(due[0].report_id)
        assert report is not None and report.timer is None  # the sweep restarts it
    finally:
        await db.close()


async def test_a_report_row_may_be_read_in_bulk(reports):
    stored = [await store(reports, new()) for _ in range(3)]
    ids = [r.id for r in stored]
    found = await reports.get_many([ids[2], 999_999, ids[0]])
    assert [r.id for r in found] == [ids[0], ids[2]]
    assert found[0].photos == ("p1",) and found[0].status is Status.OPEN


async def test_a_batch_writes_each_step_as_its_report_and_event_say(db, reports):
    first, second, third = [await store(reports, new()) for _ in range(3)]
    due = {d.report_id: d for d in await Deadlines(db).due(AT + timedelta(hours=2), 10)}
    nagged = replace(nag_step(first, due[first.id]), before=first)
    moved, event = domain.move(second, Action.ACCEPT, actor_id=101, at=AT + timedelta(hours=2))
    moved = replace(moved, due_at=AT + timedelta(days=3), timer=None)
    expired = Step(due[second.id], second.version, moved, event, [], before=second)
    assert third.timer is not None
    later = replace(third, timer=replace(third.timer, next_at=AT + timedelta(hours=9)))
    deferred = Step(due[third.id], third.version, later, before=third)
    applied = await Deadlines(db).apply([nagged, expired, deferred], AT)
    assert (applied.written, applied.acted) == (3, 2)
    for step, bump in ((nagged, 1), (expired, 1), (deferred, 0)):
        stored = await reports.get(step.due.report_id)
        assert stored == replace(step.after, version=step.version + bump)
    rows = await db.fetchall(
        "SELECT report_id, action, due_at FROM report_events WHERE action <> 'submit' ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        (first.id, "nag", to_db(first.due_at)),  # the deadline in force, as 0015's trigger says
        (second.id, "accept", to_db(AT + timedelta(days=3))),
    ]


async def test_a_batch_queues_the_rows_one_add_at_a_time_would(db, reports):
    def messages(prefix: str) -> list[Outgoing]:
        return [
            Outgoing(101, "sendMessage", {"text": "提醒"}),
            Outgoing(101, "sendMessage", {"text": "卡片"}, card=f"{prefix}:1"),
            Outgoing(102, "sendMessage", {"text": "卡片"}, card=f"{prefix}:1"),
            Outgoing(101, "sendMessage", {"text": "卡片二"}, card=f"{prefix}:1"),  # collapses
            Outgoing(102, "sendMessage", {"text": "已显示"}, card=f"{prefix}:2"),
        ]

    async def queued(prefix: str) -> list[tuple]:
        rows = await db.fetchall(
            "SELECT o.chat_id, o.method, o.payload, c.key, o.state FROM outbox o"
            " LEFT JOIN cards c ON c.id = o.card_id"
            " WHERE c.key LIKE ? OR (o.card_id IS NULL AND o.created_at = ?) ORDER BY o.id",
            (f"{prefix}:%", to_db(AT + timedelta(minutes=1 if prefix == "b" else 0))),
        )
        return [(r[0], r[1], r[2], (r[3] or "").split(":")[-1], r[4]) for r in rows]

    for prefix, at in (("a", AT), ("b", AT + timedelta(minutes=1))):
        # A card whose message already shows the text is not queued again (Telegram refuses).
        async with db.transaction() as conn:
            await outbox.add(
                conn, [Outgoing(102, "sendMessage", {"text": "已显示"}, card=f"{prefix}:2")], at
            )
            await conn.execute(
                "UPDATE outbox SET state = 'sent' WHERE card_id IN"
                " (SELECT id FROM cards WHERE key = ?)",
                (f"{prefix}:2",),
            )
            await conn.execute("UPDATE cards SET message_id = 7 WHERE key = ?", (f"{prefix}:2",))
        async with db.transaction() as conn:
            if prefix == "a":
                await outbox.add(conn, messages(prefix), at)
            else:
                await outbox.add_many(conn, messages(prefix), at)
    one_by_one, batched = await queued("a"), await queued("b")
    assert batched == one_by_one
    assert [(chat, text) for chat, _, text, _, _ in batched] == [
        (102, '{"text": "已显示"}'),
        (101, '{"text": "提醒"}'),
        (101, '{"text": "卡片二"}'),
        (102, '{"text": "卡片"}'),
    ]


async def test_a_batch_reads_what_each_report_read_alone_would(db, reports):
    first, second = [await store(reports, new()) for _ in range(2)]
    people = People(db)
    for user_id, lang in ((5001, "en"), (101, "zh"), (7001, "en")):
        await people.touch(user_id, f"u{user_id}", lang, AT)
    await Followers(db).add(first.id, [7001, 7002], via="me_too", at=AT)
    async with db.transaction() as conn:
        await outbox.add(
            conn, [Outgoing(101, "sendMessage", {"text": "卡"}, card=f"report:{first.id}:work")], AT
        )
    around = await Deadlines(db).around([first.id, second.id], [5001, 9999])
    assert around.followers == {first.id: await Followers(db).of(first.id)}
    assert around.card_chats == {f"report:{first.id}:work": [101]}
    assert around.callins == {}
    assert around.asked == {5001, 9999, 7001, 7002, 101}
    assert {i: row.lang for i, row in around.people.items()} == await people.languages(around.asked)
