"""Households, visits and patrols on a real SQLite file: round trips, compare-and-set, the
sweep's index, and the figures /monthly reads."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import care
from bot.domain.care import (
    Cadence,
    CarePolicy,
    Outcome,
    Stage,
    Visit,
    VisitorKind,
)
from bot.domain.patrols import Finding, Patrol, PatrolKind
from bot.domain.units import Unit
from storage.care import Households, StaleHousehold
from storage.db import IntegrityError
from storage.outbox import Outgoing
from storage.patrols import FindingTaken, Patrols
from storage.units import upsert_units

POLICY = CarePolicy(tz=ZoneInfo("Asia/Shanghai"))
AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def households(db):
    async with db.transaction() as conn:
        await upsert_units(
            conn,
            [
                Unit("C1", "社区", "community"),
                Unit("G1", "一网格", "grid", "C1"),
                Unit("B1", "1栋", "building", "G1"),
                Unit("B2", "2栋", "building", "G1"),
            ],
        )
    return Households(db)


def new_household(unit: str = "B1", kind="empty_nest", at=AT):
    return care.register(
        kind=kind,
        unit=unit,
        label="3-502",
        cadence=Cadence.WEEKLY,
        visitor_id=101,
        visitor_kind=VisitorKind.STAFF,
        notes="独居，女儿每月来一次",
        by=201,
        at=at,
        policy=POLICY,
    )


def note(chat_id: int, text: str = "hi") -> Outgoing:
    return Outgoing(chat_id, "sendMessage", {"text": text})


async def outbox_chats(db) -> list[int]:
    return [row[0] for row in await db.fetchall("SELECT chat_id FROM outbox ORDER BY id")]


async def test_a_household_round_trips_with_its_notes_and_first_event(households, db):
    stored = await households.create(new_household(), [note(101)], clear_draft_of=201)
    again = await households.get(stored.id)
    assert again == stored
    assert again.notes == "独居，女儿每月来一次"
    assert again.due_on == date(2026, 12, 1)
    assert await households.events(stored.id) == [("register", date(2026, 12, 1))]
    assert await outbox_chats(db) == [101]


async def test_care_messages_can_never_be_queued_for_a_group(households):
    with pytest.raises(ValueError, match="private"):
        await households.create(new_household(), [note(-1001)], clear_draft_of=201)
    assert await households.within(["B1"]) == []


async def test_the_sweep_finds_only_what_is_due(households):
    first = await households.create(new_household(), [], clear_draft_of=0)
    await households.create(new_household(at=AT + timedelta(days=3)), [], clear_draft_of=0)
    off = await households.create(new_household(), [], clear_draft_of=0)
    await households.save(
        off, replace(off, active=False, next_at=None), action="deactivate", actor_id=201, at=AT
    )
    assert first.next_at is not None
    assert await households.due(first.next_at - timedelta(seconds=1)) == []
    due = await households.due(first.next_at)
    assert [h.id for h in due] == [first.id]


@pytest.mark.sqlite_only
async def test_the_sweep_reads_its_partial_index(db):
    plan = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT id FROM households"
        " WHERE active = 1 AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at LIMIT 200",
        ("2026-12-01",),
    )
    assert any("households_due" in row[3] for row in plan)


async def test_a_second_sweep_acting_on_a_stale_read_changes_nothing(households, db):
    stored = await households.create(new_household(), [], clear_draft_of=0)
    now = stored.next_at
    decision = care.decide(stored, now, POLICY)
    assert await households.advance(stored, decision, now, [note(101)])
    assert not await households.advance(stored, decision, now, [note(101)])  # same old version
    assert await outbox_chats(db) == [101]
    again = await households.get(stored.id)
    assert again.stage is Stage.REMINDED and again.version == stored.version + 1
    assert [a for a, _ in await households.events(stored.id)] == ["register", "remind"]


async def test_a_deferral_moves_the_next_look_without_an_event(households):
    stored = await households.create(new_household(), [], clear_draft_of=0)
    later = stored.next_at + timedelta(hours=22)
    decision = care.Decision(care.CareAction.DEFER, stored.stage, 0, later)
    assert await households.advance(stored, decision, stored.next_at, [])
    assert (await households.get(stored.id)).next_at == later
    assert [a for a, _ in await households.events(stored.id)] == ["register"]


async def test_a_visit_and_the_next_due_date_are_stored_together(households, db):
    stored = await households.create(new_household(), [], clear_draft_of=0)
    visit = Visit(
        stored.id,
        7001,
        VisitorKind.VOLUNTEER,
        AT + timedelta(days=7),
        Outcome.MET,
        stored.due_on,
        wellbeing=4,
        note="精神不错",
    )
    after = care.log_visit(stored, visit, POLICY)
    saved, logged = await households.log_visit(
        stored, after, visit, lambda v: [note(201, f"confirm {v.id}")], clear_draft_of=7001
    )
    assert saved.due_on == date(2026, 12, 8)
    assert (await households.visit(logged.id)) == logged
    assert [v.id for v in await households.visits_of(stored.id)] == [logged.id]
    rows = await db.fetchall("SELECT payload FROM outbox")
    assert f"confirm {logged.id}" in rows[0][0]
    with pytest.raises(StaleHousehold):  # the same read again: someone else logged meanwhile
        await households.log_visit(stored, after, visit, lambda v: [], clear_draft_of=7001)
    assert len(await households.visits_of(stored.id)) == 1


async def test_a_visit_is_confirmed_once(households):
    stored = await households.create(new_household(), [], clear_draft_of=0)
    visit = Visit(stored.id, 7001, VisitorKind.VOLUNTEER, AT, Outcome.MET, stored.due_on, 3)
    _, logged = await households.log_visit(
        stored, care.log_visit(stored, visit, POLICY), visit, lambda v: [], clear_draft_of=0
    )
    confirmed = await households.confirm_visit(logged, 201, AT, [note(7001)])
    assert confirmed.confirmed_by == 201
    with pytest.raises(StaleHousehold):
        await households.confirm_visit(logged, 202, AT, [note(7001)])
    assert (await households.visit(logged.id)).confirmed_by == 201


async def test_a_due_date_counts_as_missed_only_once_even_past_compare_and_set(households, db):
    stored = await households.create(new_household(), [], clear_draft_of=0)
    async with db.transaction() as conn:
        from storage.care import add_event

        await add_event(conn, stored, "miss", None, AT)
    with pytest.raises(IntegrityError, match=r"(?i)unique"):
        async with db.transaction() as conn:
            await add_event(conn, stored, "miss", None, AT)
    assert [a for a, _ in await households.events(stored.id)] == ["register", "miss"]


async def test_monthly_counts_group_visits_and_misses_by_kind_within_the_units(households, db):
    a = await households.create(new_household("B1"), [], clear_draft_of=0)
    b = await households.create(new_household("B2", "illness"), [], clear_draft_of=0)
    for household, outcome in ((a, Outcome.MET), (b, Outcome.NOT_HOME)):
        visit = Visit(household.id, 101, VisitorKind.STAFF, AT, outcome, household.due_on)
        await households.log_visit(
            household,
            care.log_visit(household, visit, POLICY),
            visit,
            lambda v: [],
            clear_draft_of=0,
        )
    async with db.transaction() as conn:
        from storage.care import add_event

        await add_event(conn, a, "miss", None, AT)
    start, end = AT - timedelta(days=1), AT + timedelta(days=1)
    assert await households.visit_counts(["B1", "B2"], start, end) == {
        ("empty_nest", "met"): 1,
        ("illness", "not_home"): 1,
    }
    assert await households.visit_counts(["B2"], start, end) == {("illness", "not_home"): 1}
    assert await households.miss_counts(["B1", "B2"], start, end) == {"empty_nest": 1}
    assert await households.visit_counts(["B1"], end, end + timedelta(days=1)) == {}


async def test_a_patrol_round_trips_and_a_finding_links_to_one_report_only(households, db):
    patrols = Patrols(db)
    patrol = Patrol(
        101,
        PatrolKind.PATROL,
        "B1",
        AT,
        "note",
        ("p1", "p2"),
        (Finding("楼道堆放杂物", 0), Finding("路灯不亮", 1)),
    )
    stored = await patrols.create(
        patrol, lambda p: [note(101, f"findings {[f.id for f in p.findings]}")], clear_draft_of=0
    )
    again = await patrols.get(stored.id)
    assert again == stored
    assert again.photos == ("p1", "p2")
    assert (await patrols.patrol_of_finding(stored.findings[1].id)).id == stored.id
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO reports (id, category, unit, description, status, holder_unit, tier,"
            " created_at, updated_at) VALUES (7, 'litter', 'B1', 'x', 'open', 'G1', 'grid',"
            " '2026-11-24', '2026-11-24')"
        )
    await patrols.link_report(stored.findings[0].id, 7)
    with pytest.raises(FindingTaken):
        await patrols.link_report(stored.findings[0].id, 7)
    assert (await patrols.get(stored.id)).findings[0].report_id == 7
    counts = await patrols.counts(["B1"], AT - timedelta(hours=1), AT + timedelta(hours=1))
    assert counts == [(101, "patrol", 1)]
