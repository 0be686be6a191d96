"""storage/appraisal.py and migration 0015 on a real SQLite file: each event keeps the deadline
in force after it, histories are read as of a moment, a month's post is claimed once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.categories import Category
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, Report
from bot.domain.units import Tier, Unit
from storage.appraisal import Appraisals
from storage.db import Database
from storage.outbox import Outgoing
from storage.reports import Reports
from storage.units import Units

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
REPORTER = 5001
UNITS = [
    Unit("S1", "街道", "street"),
    Unit("C1", "社区", "community", "S1"),
    Unit("G1", "网格一", "grid", "C1"),
    Unit("G2", "网格二", "grid", "C1"),
]


@pytest.fixture
async def stored(db: Database) -> Database:
    await Units(db).replace_from_config(UNITS, [Category("litter", "环境卫生", "Litter")])
    return db


async def no_messages(_: Report) -> list[Outgoing]:
    return []


async def new_report(db: Database, unit: str, at: datetime, due: datetime) -> Report:
    draft = Report(REPORTER, "litter", unit, "描述", (), at, unit, Tier.GRID, due_at=due)
    return await Reports(db).create(
        draft, domain.submit(draft, actor_id=REPORTER, at=at), no_messages
    )


async def escalate(db: Database, report: Report, at: datetime, due: datetime) -> Report:
    moved, event = domain.move(
        report, Action.ESCALATE, actor_id=None, at=at, holder_unit="C1", tier=Tier.COMMUNITY,
        due_at=due,
    )  # fmt: skip
    return await Reports(db).save(moved, event, [], expect_version=report.version)


async def test_each_event_keeps_the_deadline_in_force_after_it(stored: Database):
    report = await new_report(stored, "G1", T0, T0 + timedelta(hours=2))
    await escalate(stored, report, T0 + timedelta(hours=3), T0 + timedelta(hours=7))
    rows = await stored.fetchall(
        "SELECT action, due_at FROM report_events WHERE report_id = ? ORDER BY id", (report.id,)
    )
    assert [(r["action"], r["due_at"]) for r in rows] == [
        ("submit", (T0 + timedelta(hours=2)).isoformat(timespec="microseconds")),
        ("escalate", (T0 + timedelta(hours=7)).isoformat(timespec="microseconds")),
    ]


async def test_a_report_running_no_deadline_records_an_empty_one(stored: Database):
    report = await new_report(stored, "G1", T0, T0 + timedelta(hours=2))
    moved, event = domain.reject(
        report, _worker(), T0 + timedelta(hours=1), reason=domain.RejectReason.DUPLICATE, note="x"
    )
    await Reports(stored).save(replace(moved, due_at=None), event, [], expect_version=1)
    row = await stored.fetchone("SELECT due_at FROM report_events WHERE action = 'reject'")
    assert row is not None and row["due_at"] == ""
    [history] = [h async for chunk in Appraisals(stored).histories(T0, T0 + timedelta(days=1),
                 T0 + timedelta(days=1)) for h in chunk]  # fmt: skip
    assert history.steps[-1].due is None and history.steps[-1].due_known


def _worker() -> Staff:
    return Staff(101, "w", Role.GRID_WORKER, "G1")


async def test_histories_hold_the_months_reports_with_their_events_up_to_the_moment(
    stored: Database,
):
    early = await new_report(stored, "G1", T0, T0 + timedelta(hours=2))
    await escalate(stored, early, T0 + timedelta(days=2), T0 + timedelta(days=3))
    await new_report(stored, "G2", T0 + timedelta(days=1, hours=5), T0 + timedelta(days=2))
    await new_report(stored, "G1", T0 + timedelta(days=40), T0 + timedelta(days=41))  # later
    repo = Appraisals(stored)
    as_of = T0 + timedelta(days=1, hours=12)
    found = [h async for chunk in repo.histories(T0, T0 + timedelta(days=30), as_of)
             for h in chunk]  # fmt: skip
    assert [(h.unit, [s.action for s in h.steps]) for h in found] == [
        ("G1", ["submit"]),  # the escalation came after the moment
        ("G2", ["submit"]),
    ]
    assert found[0].steps[0].due == T0 + timedelta(hours=2)
    only_g2 = [h async for chunk in repo.histories(T0, T0 + timedelta(days=30), as_of, ["G2"])
               for h in chunk]  # fmt: skip
    assert [h.unit for h in only_g2] == ["G2"]


async def test_a_months_post_is_claimed_once_with_its_files(stored: Database):
    repo = Appraisals(stored)

    def messages(refs: dict[int, list[dict[str, int]]]) -> list[Outgoing]:
        return [
            Outgoing(chat, "sendDocument", {"document": chat_refs[0]})
            for chat, chat_refs in refs.items()
        ]

    files = {-100: [("a.xlsx", b"PK")], 301: [("a.xlsx", b"PK")]}
    assert await repo.queue("C1", "2026-11", "report", T0, files, messages)
    assert not await repo.queue("C1", "2026-11", "report", T0, files, messages)
    assert await repo.queue("C1", "2026-11", "league", T0, {}, lambda _: [])
    assert await repo.claimed("2026-11") == {("C1", "report"), ("C1", "league")}
    counts = await stored.fetchone(
        "SELECT (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM outbox_files)"
    )
    assert tuple(counts) == (2, 2)


async def test_histories_come_a_chunk_of_hours_at_a_time_each_report_once(stored: Database):
    from storage.appraisal import CHUNK

    edge = T0 + CHUNK  # the second chunk's first moment
    times = [T0, edge - timedelta(microseconds=1), edge, edge + CHUNK - timedelta(seconds=1)]
    made = [await new_report(stored, "G1", at, at + timedelta(hours=1)) for at in times]
    repo = Appraisals(stored)
    end = T0 + 3 * CHUNK
    chunks = [[h.report_id for h in chunk] async for chunk in repo.histories(T0, end, end)]
    assert len(chunks) == 3  # one per CHUNK of the period: one chunk's rows in memory at a time
    assert chunks == [[made[0].id, made[1].id], [made[2].id, made[3].id], []]
    assert timedelta(hours=6) >= CHUNK  # a day of the bench's office was ~53,000 rows at once
