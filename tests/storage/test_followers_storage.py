"""Followers (并单) on a real SQLite file: following once, one's own rating once, the open reports
a new one is compared with, and erasure taking a person's follower rows with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.privacy import Retention, cutoffs
from bot.domain.reports import Report, Status
from bot.domain.units import Tier, Unit
from storage.db import to_db
from storage.followers import Followers
from storage.privacy import Privacy, erase_person
from storage.reports import Reports
from storage.units import upsert_units

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
UNITS = [
    Unit("G1", "第一网格", "grid"),
    Unit("B1", "1栋", "building", "G1", 30.6000, 114.3000),
    Unit("B2", "2栋", "building", "G1", 30.6005, 114.3000),
    Unit("B3", "3栋", "building", "G1", 30.6100, 114.3100),
]
AROUND_B1 = (30.599, 30.601, 114.299, 114.301)  # about 110 m each way


async def add(db, unit: str = "B1", *, reporter: int = 5001, category: str = "litter", **more):
    async with db.transaction() as conn:
        await upsert_units(conn, UNITS)
    report = Report(
        reporter_id=reporter,
        category=category,
        unit=unit,
        description="垃圾",
        photos=("p1",),
        created_at=NOW,
        holder_unit="G1",
        tier=Tier.GRID,
        **more,
    )
    return await Reports(db).insert(report, domain.submit(report, actor_id=reporter, at=NOW))


async def test_a_person_follows_a_report_once_and_rates_it_once(db):
    report = await add(db)
    followers = Followers(db)
    assert await followers.add(report.id, [5002, 5003], via="me_too", at=NOW) == 2
    assert await followers.add(report.id, [5002], via="merge", at=NOW, from_report=9) == 0
    assert [(f.user_id, f.via) for f in await followers.of(report.id)] == [
        (5002, "me_too"),
        (5003, "me_too"),
    ]
    assert await followers.rate(report.id, 5002, 4, NOW)
    assert not await followers.rate(report.id, 5002, 1, NOW)  # their answer stands
    assert not await followers.rate(report.id, 7777, 5, NOW)  # not a follower
    assert [f.stars for f in await followers.of(report.id)] == [4, None]


async def test_open_alike_finds_open_reports_of_the_category_in_the_unit_or_the_box(db):
    same = await add(db, "B1")
    near = await add(db, "B2")
    located = await add(db, "B3", lat=30.6001, lon=114.3001)  # shared a location near B1
    await add(db, "B3")  # far
    await add(db, "B1", category="road")
    await add(db, "B1", status=Status.CLOSED)
    mine = await add(db, "B1", reporter=5002)
    followed = await add(db, "B1")
    await Followers(db).add(followed.id, [5002], via="me_too", at=NOW)
    found = await Followers(db).open_alike("litter", "B1", AROUND_B1, excluding=5002)
    assert [r.id for r in found] == [same.id, near.id, located.id]
    assert mine.id not in [r.id for r in found]
    in_unit = await Followers(db).open_alike("litter", "B1", None, excluding=5002)
    assert [r.id for r in in_unit] == [same.id]
    assert in_unit[0].photos == ("p1",)


@pytest.mark.sqlite_only  # SQLite's query plan
async def test_the_open_reports_of_a_category_are_found_through_their_partial_index(db):
    plan = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT id FROM reports"
        " WHERE status IN ('open', 'accepted') AND category = ? ORDER BY id DESC",
        ("litter",),
    )
    assert "reports_open_category" in " ".join(str(row["detail"]) for row in plan)


async def test_erasure_deletes_what_a_person_follows_and_their_ratings(db):
    report = await add(db)
    other = await add(db, reporter=5003)
    await Followers(db).add(report.id, [5002, 5004], via="me_too", at=NOW)
    await Followers(db).add(other.id, [5002], via="merge", at=NOW, from_report=report.id)
    await Followers(db).rate(report.id, 5002, 5, NOW)
    async with db.transaction() as conn:
        erased = await erase_person(conn, 5002, NOW, "（已删除）")
    assert erased.total >= 2
    rows = await db.fetchall("SELECT report_id, user_id FROM report_followers ORDER BY report_id")
    assert [tuple(r) for r in rows] == [(report.id, 5004)]


async def test_retention_takes_the_followers_of_old_closed_and_merged_reports(db):
    old = to_db(NOW - timedelta(days=3 * 365 + 1))
    closed, merged, open_ = await add(db), await add(db), await add(db)
    for report in (closed, merged, open_):
        await Followers(db).add(report.id, [5002], via="me_too", at=NOW)
    async with db.transaction() as conn:
        for report, status in ((closed, "closed"), (merged, "merged"), (open_, "accepted")):
            await conn.execute(
                "UPDATE reports SET status = ?, updated_at = ? WHERE id = ?",
                (status, old, report.id),
            )
    assert (await Privacy(db).prune(NOW, cutoffs(Retention(), NOW)))["reports"] == 2
    rows = await db.fetchall("SELECT report_id FROM report_followers")
    assert [r["report_id"] for r in rows] == [open_.id]
