"""storage/cadres.py on both backends: one active attachment per person and grid, detaching
once, the config file's attachments, the patrols that count, the sweep's claims and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.cadres import Attachment
from bot.domain.patrols import Patrol, PatrolKind
from bot.domain.units import Unit
from storage.cadres import Cadres
from storage.patrols import Patrols
from storage.privacy import erase_person
from storage.units import upsert_units

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def cadres(db) -> Cadres:
    async with db.transaction() as conn:
        await upsert_units(
            conn,
            [
                Unit("C1", "社区", "community"),
                Unit("G1", "一网格", "grid", "C1"),
                Unit("G2", "二网格", "grid", "C1"),
                Unit("B1", "1栋", "building", "G1"),
            ],
        )
    return Cadres(db)


async def test_one_active_attachment_per_person_and_grid_and_detaching_once(cadres):
    first = await cadres.attach(Attachment(301, "G1", AT, attached_by=201))
    assert first is not None and first.id is not None and first.since == AT
    assert await cadres.attach(Attachment(301, "G1", AT + timedelta(hours=1))) is None
    other = await cadres.attach(Attachment(301, "G2", AT, ("knock",)))
    assert other is not None and other.duties == ("knock",)
    assert [a.unit for a in await cadres.active_of(301)] == ["G1", "G2"]
    assert await cadres.detach(first.id, by=201, at=AT + timedelta(days=1))
    assert not await cadres.detach(first.id, by=201, at=AT + timedelta(days=2))
    gone = await cadres.get(first.id)
    assert gone is not None and gone.until == AT + timedelta(days=1)
    again = await cadres.attach(Attachment(301, "G1", AT + timedelta(days=3)))  # sent back
    assert again is not None and again.id != first.id
    assert [a.id for a in await cadres.active_at(["G1"])] == [again.id]
    # Served in the month: both spells at G1, and G2.
    served = await cadres.served(["G1", "G2"], AT - timedelta(days=20), AT + timedelta(days=5))
    assert sorted((a.unit, a.id) for a in served) == sorted(
        [("G1", first.id), ("G1", again.id), ("G2", other.id)]
    )
    assert (
        await cadres.served(["G1"], AT + timedelta(days=1, hours=1), AT + timedelta(days=2)) == []
    )


async def test_the_config_files_attachments_follow_the_file(cadres):
    chat = await cadres.attach(Attachment(301, "G1", AT))
    await cadres.sync_config(
        [Attachment(301, "G1", AT, ("knock",), "config"), Attachment(401, "G2", AT, (), "config")],
        AT,
    )
    active = {(a.user_id, a.unit): a for a in await cadres.active_at(["G1", "G2"])}
    assert active[(301, "G1")].source == "config" and active[(301, "G1")].id == chat.id
    assert active[(301, "G1")].duties == ("knock",) and active[(401, "G2")].source == "config"
    await cadres.sync_config([Attachment(401, "G2", AT, (), "config")], AT + timedelta(days=1))
    assert [(a.user_id, a.unit) for a in await cadres.active_at(["G1", "G2"])] == [(401, "G2")]


async def test_patrol_counts_are_per_person_unit_and_kind_within_the_period(db, cadres):
    patrols = Patrols(db)
    for who, unit, kind, days in [
        (301, "B1", PatrolKind.DOORKNOCK, 0),
        (301, "B1", PatrolKind.DOORKNOCK, 1),
        (301, "G2", PatrolKind.SAFETY, 0),
        (301, "B1", PatrolKind.DOORKNOCK, 9),  # after the period
        (101, "B1", PatrolKind.DOORKNOCK, 0),  # not asked for
    ]:
        patrol = Patrol(who, kind, unit, AT + timedelta(days=days))
        await patrols.create(patrol, lambda p: [], clear_draft_of=who)
    rows = await cadres.patrol_counts([301, 401], AT, AT + timedelta(days=7))
    assert rows == [(301, "B1", "doorknock", 2), (301, "G2", "safety", 1)]
    assert await cadres.patrol_counts([], AT, AT + timedelta(days=7)) == []


async def test_the_sweeps_claims_are_taken_once(cadres):
    await cadres.attach(Attachment(301, "G1", AT))
    await cadres.attach(Attachment(401, "G1", AT))
    await cadres.attach(Attachment(401, "G2", AT))
    assert await cadres.unreminded("2026-11-23") == [301, 401]
    assert await cadres.unlisted("2026-11-23") == ["G1", "G2"]
    assert await cadres.claim_reminder(301, "2026-11-23", AT)
    assert not await cadres.claim_reminder(301, "2026-11-23", AT)
    assert await cadres.claim_list("G1", "2026-11-23", AT)
    assert not await cadres.claim_list("G1", "2026-11-23", AT)
    assert await cadres.unreminded("2026-11-23") == [401]
    assert await cadres.unlisted("2026-11-23") == ["G2"]
    assert await cadres.unreminded("2026-11-30") == [301, 401]  # a new week


async def test_erasing_a_cadre_removes_their_attachments_and_claims_only(db, cadres):
    await cadres.attach(Attachment(301, "G1", AT, attached_by=201))
    await cadres.attach(Attachment(401, "G1", AT, attached_by=301))
    await cadres.claim_reminder(301, "2026-11-23", AT)
    await cadres.claim_reminder(401, "2026-11-23", AT)
    async with db.transaction() as conn:
        erased = await erase_person(conn, 301, AT, "（已删除）")
    assert erased.rows["cadres"] >= 1  # their own row went; the link to them below
    left = await cadres.active_at(["G1"])
    assert [(a.user_id, a.attached_by) for a in left] == [(401, None)]
    rows = await db.fetchall("SELECT user_id FROM cadre_reminders")
    assert [row["user_id"] for row in rows] == [401]
