"""The reports repository on a real SQLite file: one commit = row + event + outbox rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, Status
from bot.domain.units import Tier, Unit
from storage.drafts import Draft, Drafts
from storage.outbox import Outgoing
from storage.reports import Reports, StaleReport
from storage.units import Units

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
WORKER = Staff(101, "李网格", Role.GRID_WORKER, "G1")
OTHER = Staff(102, "王网格", Role.GRID_WORKER, "G2")
RESIDENT = 5001


@pytest.fixture
async def reports(db) -> Reports:
    units = [
        Unit("C1", "春晖社区", "community"),
        Unit("G1", "第一网格", "grid", "C1"),
        Unit("G2", "第二网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
    await Units(db).replace_from_config(units, [])
    return Reports(db)


def new(at: datetime = AT, **fields) -> Report:
    base = Report(
        reporter_id=RESIDENT,
        category="litter",
        unit="B1",
        description="楼道堆物，影响通行",
        photos=("p1", "p2", "p3"),
        created_at=at,
        updated_at=at,
        holder_unit="G1",
        tier=Tier.GRID,
        assignee_id=WORKER.user_id,
    )
    return replace(base, **fields)


def note_to(chat_id: int, text: str) -> Outgoing:
    return Outgoing(chat_id, "sendMessage", {"text": text})


async def count(db, table: str) -> int:
    row = await db.fetchone(f"SELECT COUNT(*) FROM {table}")
    return int(row[0])


async def create(reports: Reports, report: Report | None = None) -> Report:
    report = report or new()

    async def messages(stored: Report) -> list[Outgoing]:
        return [note_to(RESIDENT, f"收到 {stored.number}")]

    return await reports.create(report, domain.submit(report, actor_id=RESIDENT, at=AT), messages)


async def test_create_stores_the_report_its_photos_its_first_event_and_its_messages(db, reports):
    stored = await create(reports)

    assert (stored.id, stored.version) == (1, 1)
    again = await reports.get(stored.id)
    assert again == stored
    assert again.photos == ("p1", "p2", "p3")
    [event] = await reports.events(stored.id)
    assert (event.action, event.old, event.new) == ("submit", None, Status.OPEN)
    row = await db.fetchone("SELECT chat_id, payload FROM outbox")
    assert row["chat_id"] == RESIDENT and "R000001" in row["payload"]


async def test_create_writes_nothing_when_its_messages_cannot_be_built(db, reports):
    async def broken(_: Report) -> list[Outgoing]:
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError):
        await reports.create(new(), domain.submit(new(), actor_id=RESIDENT, at=AT), broken)

    for table in ("reports", "report_photos", "report_events", "outbox"):
        assert await count(db, table) == 0, table


async def test_save_writes_the_row_the_event_and_the_messages_and_bumps_the_version(db, reports):
    stored = await create(reports)
    after, event = domain.accept(stored, WORKER, AT + timedelta(minutes=5))

    saved = await reports.save(
        after, event, [note_to(RESIDENT, "已接单")], expect_version=stored.version
    )

    assert saved.version == 2
    again = await reports.get(stored.id)
    assert (again.status, again.version) == (Status.ACCEPTED, 2)
    assert again.updated_at == AT + timedelta(minutes=5)
    assert [e.action for e in await reports.events(stored.id)] == ["submit", "accept"]
    assert await count(db, "outbox") == 2


async def test_a_stale_save_writes_nothing_at_all(db, reports):
    stored = await create(reports)
    first, event = domain.accept(stored, WORKER, AT)
    await reports.save(first, event, [], expect_version=stored.version)
    outbox_before = await count(db, "outbox")
    # A second press computed from the same old read loses.
    late, late_event = domain.transfer(stored, WORKER, OTHER, AT)

    with pytest.raises(StaleReport):
        await reports.save(
            late, late_event, [note_to(OTHER, "新案件")], expect_version=stored.version
        )

    again = await reports.get(stored.id)
    assert (again.status, again.assignee_id, again.version) == (Status.ACCEPTED, WORKER.user_id, 2)
    assert [e.action for e in await reports.events(stored.id)] == ["submit", "accept"]
    assert await count(db, "outbox") == outbox_before


async def test_save_ends_the_movers_conversation_in_the_same_commit_unless_it_is_stale(db, reports):
    drafts = Drafts(db)
    stored = await create(reports)
    await drafts.put(Draft(WORKER.user_id, "resolve", "note", {"report": stored.id}), AT)
    after, event = domain.resolve(stored, WORKER, AT, photo="after", note="好了")

    with pytest.raises(StaleReport):
        await reports.save(after, event, [], expect_version=99, clear_draft_of=WORKER.user_id)
    assert await drafts.get(WORKER.user_id) is not None

    await reports.save(after, event, [], expect_version=1, clear_draft_of=WORKER.user_id)
    assert await drafts.get(WORKER.user_id) is None


async def test_every_changed_field_survives_a_save_and_a_read(reports):
    stored = await create(reports)
    after, event = domain.reject(
        stored, WORKER, AT, reason=domain.RejectReason.DUPLICATE, note="同 R000009"
    )
    await reports.save(after, event, [], expect_version=1)

    again = await reports.get(stored.id)
    assert (again.status, again.reject_reason) == (Status.REJECTED, "duplicate")
    [_, rejected] = await reports.events(stored.id)
    assert (rejected.note, rejected.data) == ("同 R000009", {"reason": "duplicate"})


async def test_open_for_lists_the_users_and_their_units_unassigned_reports_oldest_first(reports):
    mine = await create(reports, new(AT))
    waiting = await create(reports, new(AT + timedelta(hours=1), assignee_id=None))
    later = AT + timedelta(hours=2)
    await create(reports, new(later, assignee_id=OTHER.user_id, holder_unit="G2"))
    await create(reports, new(later, assignee_id=None, holder_unit="G2"))
    done = await create(reports, new(later))
    after, event = domain.reject(done, WORKER, AT, reason=domain.RejectReason.INVALID, note="无效")
    await reports.save(after, event, [], expect_version=1)

    found = await reports.open_for(WORKER.user_id, ["G1"])

    assert [r.id for r in found] == [mine.id, waiting.id]
    assert [r.id for r in await reports.open_for(WORKER.user_id, [])] == [mine.id]


async def test_by_reporter_lists_newest_first(reports):
    first = await create(reports)
    second = await create(reports)
    await create(reports, new(reporter_id=5002))

    assert [r.id for r in await reports.by_reporter(RESIDENT)] == [second.id, first.id]


async def test_an_unknown_report_is_none(reports):
    assert await reports.get(404) is None
