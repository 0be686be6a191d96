"""双报告 storage (SQLite and PostgreSQL): a work unit's approved party members with their
verified service of one month from the points ledger, and the once-per-(work unit, month) row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.dualreport import Service
from bot.domain.points import PointKind
from bot.domain.units import Unit
from bot.domain.volunteers import Volunteer, VolunteerStatus
from storage.dualreport import DualReports
from storage.outbox import Outgoing
from storage.points import Points
from storage.units import Units
from storage.volunteers import Volunteers

START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11 in Shanghai
END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


async def member(
    db, user_id, name, *, code="tax", unit="B1", party=True, approved=True, work_unit="税务局"
):
    volunteers = Volunteers(db)
    v = Volunteer(user_id, name, unit, party_member=party, work_unit=work_unit, work_unit_code=code)
    await volunteers.register(v, START, [])
    if approved:
        await volunteers.decide(replace(v, status=VolunteerStatus.APPROVED), START, [])


async def test_service_counts_only_the_months_ledger_rows_of_the_work_units_members(db):
    await Units(db).import_units(
        [
            Unit("C1", "春晖社区", "community"),
            Unit("B1", "1栋", "building", "C1"),
            Unit("B3", "3栋", "building", "C1"),
        ]
    )
    await member(db, 1, "张三")
    await member(db, 2, "李四", unit="B3")
    await member(db, 3, "闲着")  # registered, did nothing this month
    await member(db, 4, "别家", code="bank")
    await member(db, 5, "非党员", party=False)
    await member(db, 6, "待审核", approved=False)
    await member(db, 7, "早先登记", code=None)  # typed 税务局 before work units were configured
    await member(db, 8, "别的名字", code=None, work_unit="市税务局")
    points = Points(db)
    inside = START + timedelta(days=3)
    await points.award(1, PointKind.WISH, 10, 10, inside)
    await points.award(1, PointKind.CHECKIN, 11, 5, inside)
    await points.award(1, PointKind.CHECKIN, 12, 5, END - timedelta(seconds=1))
    await points.award(1, PointKind.VISIT, 13, 0, inside)  # a visit worth no points still counts
    await points.award(1, PointKind.WISH, 14, 10, END)  # next month
    await points.award(1, PointKind.WISH, 15, 10, START - timedelta(seconds=1))  # last month
    await points.award(2, PointKind.VISIT, 16, 5, inside)
    for other in (4, 5, 6):
        await points.award(other, PointKind.WISH, 20 + other, 10, inside)

    found = await DualReports(db).service("tax", "税务局", START, END)

    assert sorted(found, key=lambda s: s.user_id) == [
        Service(1, "张三", wishes=1, checkins=2, visits=1, points=20),
        Service(2, "李四", visits=1, points=5),
        Service(3, "闲着"),
        Service(7, "早先登记"),
    ]
    only_b1 = await DualReports(db).service("tax", "税务局", START, END, ["B1"])
    assert sorted(s.user_id for s in only_b1) == [1, 3, 7]
    assert await DualReports(db).service("tax", "税务局", START, END, []) == []
    assert await DualReports(db).service("nobody", "无此单位", START, END) == []


async def test_a_work_units_month_is_sent_once_with_its_messages(db):
    reports = DualReports(db)
    message = Outgoing(7001, "sendMessage", {"text": "双报告"})

    assert await reports.send("tax", "2026-11", 2, END, [message])
    assert not await reports.send("tax", "2026-11", 2, END, [message])
    assert await reports.send("tax", "2026-10", 2, END, [])
    assert await reports.send("bank", "2026-11", 0, END, [])

    assert await reports.sent("2026-11") == {"tax", "bank"}
    assert await reports.sent("2026-12") == set()
    rows = await db.fetchall("SELECT chat_id FROM outbox")
    assert [row["chat_id"] for row in rows] == [7001]
