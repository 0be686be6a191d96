"""The teams repository (storage/teams.py) on SQLite and PostgreSQL: a building's party member,
who may be linked, the monthly report's compare-and-set and claims, and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.people import Role, Staff
from bot.domain.teams import MonthlyReport
from storage.people import upsert_staff
from storage.privacy import erase_person
from storage.teams import Teams

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
HEAD = Staff(121, "楼长钱", Role.BUILDING_HEAD, "B1")
PART = Staff(111, "兼职李", Role.PART_TIME, "G1")
WORKER = Staff(101, "李网格", Role.GRID_WORKER, "G1")
PARTNER = Staff(401, "物业", Role.PARTNER, "G1")


async def _office(db) -> None:
    async with db.transaction() as conn:
        for code, level, parent in [
            ("G1", "grid", None),
            ("B1", "building", "G1"),
            ("B2", "building", "G1"),
            ("B9", "building", None),
        ]:
            await conn.execute(
                "INSERT INTO units (code, name, level, parent) VALUES (?, ?, ?, ?)",
                (code, code, level, parent),
            )
        await upsert_staff(conn, [HEAD, PART, WORKER, PARTNER], "config", NOW)
        for uid, name, unit, party, status in [
            (7001, "党员甲", "B1", 1, "approved"),
            (7002, "群众乙", "B1", 0, "approved"),
            (7003, "党员丙", "B1", 1, "pending"),
            (7004, "党员丁", "B9", 1, "approved"),  # elsewhere
        ]:
            await conn.execute(
                "INSERT INTO volunteers (user_id, name, phone, unit, party_member, status,"
                " created_at, updated_at) VALUES (?, ?, '139', ?, ?, ?, ?, ?)",
                (uid, name, unit, party, status, NOW.isoformat(), NOW.isoformat()),
            )


def _report(user_id: int, month: str = "2026-11", **answers: str) -> MonthlyReport:
    return MonthlyReport(user_id, month, "B1", "G1", Role.BUILDING_HEAD, answers, NOW)


async def test_party_members_and_working_staff_may_be_linked_and_the_link_is_replaced(db):
    await _office(db)
    teams = Teams(db)
    found = await teams.candidates(["G1", "B1"])
    assert [(c.user_id, c.staff) for c in found] == [(101, True), (7001, False)]
    await teams.link("B1", 7001, by=201, at=NOW)
    await teams.link("B1", 101, by=201, at=NOW + timedelta(minutes=1))
    link = await teams.link_of("B1")
    assert link is not None and (link.user_id, link.name, link.set_by) == (101, "李网格", 201)
    assert not await teams.unlink("B1", expected=7001)  # not them any more: nothing changes
    assert await teams.unlink("B1", expected=101)
    assert await teams.link_of("B1") is None


async def test_a_monthly_report_is_stored_once_even_after_its_reminder(db):
    await _office(db)
    teams = Teams(db)
    assert await teams.helpers() == [PART, HEAD]
    assert await teams.helpers(["B1"]) == [HEAD]
    assert await teams.claim_reminder(HEAD, "G1", "2026-11", NOW)
    assert not await teams.claim_reminder(HEAD, "G1", "2026-11", NOW)
    assert await teams.touched("2026-11") == {121}
    assert await teams.report(121, "2026-11") is None  # reminded is not sent
    assert await teams.save(_report(121, visits="12"))
    assert not await teams.save(_report(121, visits="99"))  # a second send changes nothing
    stored = await teams.report(121, "2026-11")
    assert stored is not None and stored.answers == {"visits": "12"}
    assert [r.user_id for r in await teams.sent("2026-11", ["B1"])] == [121]
    assert await teams.sent("2026-11", ["G1"]) == []
    assert not await teams.claim_reminder(HEAD, "G1", "2026-11", NOW)  # sent: no reminder


async def test_each_grids_missing_list_is_claimed_once_a_month(db):
    teams = Teams(db)
    assert await teams.claim_digest("G1", "2026-11", NOW)
    assert not await teams.claim_digest("G1", "2026-11", NOW)
    assert await teams.claim_digest("G1", "2026-12", NOW)
    assert await teams.digested("2026-11") == {"G1"}


async def test_erasure_removes_the_link_and_the_monthly_reports(db):
    await _office(db)
    teams = Teams(db)
    await teams.link("B1", 7001, by=121, at=NOW)
    await teams.link("B2", 101, by=121, at=NOW)
    assert await teams.save(_report(121, other="无"))
    async with db.transaction() as conn:
        await erase_person(conn, 7001, NOW, "[erased]")
        await erase_person(conn, 121, NOW, "[erased]")
    assert await teams.link_of("B1") is None
    b2 = await teams.link_of("B2")
    assert b2 is not None and b2.set_by is None
    assert await teams.sent("2026-11") == []
