"""双报告 use cases on a real SQLite file: the monthly sweep sends each work unit's contact last
month's verified service once (a quiet month in one line), and the preview shows staff only the
members living in their area, 10 a page."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.app import SWEEPS
from bot.domain.points import PointKind
from bot.domain.volunteers import Volunteer
from bot.jobs.dualreport import monthly_reports
from bot.notices.dualreport import registration_note
from bot.usecases.dualreport import preview
from bot.usecases.results import Done, Refused
from tests.conftest import ADMIN, COMMUNITY, HEAD_G1
from tests.handlers.dualreport.support import (
    BANK_CHAT,
    TAX_CONTACT,
    config_path,  # noqa: F401  (the office with work units)
    party_member,
)

NOVEMBER = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
DEC_1_0800 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: before [dualreport] hour
DEC_1_0930 = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


async def outbox_texts(services) -> list[tuple[int, str]]:
    rows = await services.store.db.fetchall("SELECT chat_id, payload FROM outbox ORDER BY id")
    return [(row["chat_id"], json.loads(row["payload"])["text"]) for row in rows]


async def test_each_contact_gets_last_months_verified_service_once(services, clock):
    assert ("dual_reports", monthly_reports) in SWEEPS
    await party_member(services, 6101, "张三")
    await party_member(services, 6102, "李四", unit="B4")
    await party_member(services, 6103, "王五", code="bank")
    points = services.store.points
    await points.award(6101, PointKind.WISH, 1, 10, NOVEMBER)
    await points.award(6101, PointKind.CHECKIN, 2, 5, NOVEMBER)
    await points.award(6101, PointKind.CHECKIN, 3, 5, DEC_1_0800)  # December: not reported yet

    assert await monthly_reports(services, DEC_1_0800) == 0  # before the configured hour
    assert await monthly_reports(services, DEC_1_0930) == 2
    assert await monthly_reports(services, DEC_1_0930) == 0  # once per (work unit, month)

    sent = await outbox_texts(services)
    assert [chat for chat, _ in sent] == [TAX_CONTACT, BANK_CHAT]
    tax, bank = sent[0][1], sent[1][1]
    assert "2026-11" in tax and "区税务局" in tax
    assert "张三：微心愿 1 件 · 活动签到 1 次 · 走访 0 次 · 积分 15" in tax
    assert "李四：本月暂无经核实的服务" in tax
    assert tax.index("张三") < tax.index("李四")
    assert "王五" not in tax
    assert "本月没有经核实的服务记录" in bank  # one line for a month with nothing
    assert all("13800000000" not in text and "1栋" not in text for _, text in sent)

    # Down through January: only December's report goes, once.
    january = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)
    assert await monthly_reports(services, january) == 2
    later = await outbox_texts(services)
    assert len(later) == 4 and "2026-12" in later[2][1] and "积分 5" in later[2][1]
    rows = await services.store.db.fetchall("SELECT work_unit, month FROM dual_reports")
    assert sorted((r["work_unit"], r["month"]) for r in rows) == [
        ("bank", "2026-11"),
        ("bank", "2026-12"),
        ("tax", "2026-11"),
        ("tax", "2026-12"),
    ]


async def test_the_preview_shows_the_members_of_the_staff_members_area_ten_a_page(services, clock):
    for i in range(11):
        await party_member(services, 6200 + i, f"成员{i:02d}")
    await party_member(services, 6300, "外社区", unit="B4")
    await party_member(services, 6301, "自填单位", code=None)  # typed its work unit: no report
    await services.store.points.award(6205, PointKind.VISIT, 9, 5, clock())
    month = clock().strftime("%Y-%m")

    first = await preview(services, month, by=COMMUNITY, at=clock())
    second = await preview(services, month, by=COMMUNITY, at=clock(), page=1)
    everyone = await preview(services, month, by=ADMIN, at=clock())
    refused = await preview(services, month, by=HEAD_G1, at=clock())

    assert isinstance(first, Done) and isinstance(second, Done) and isinstance(everyone, Done)
    assert (first.value.page, first.value.pages, len(first.value.rows)) == (0, 2, 10)
    assert first.value.rows[0][1].name == "成员05"  # the one with points first
    assert [s.name for _, s in second.value.rows] == ["成员10"]
    names = {s.name for _, s in first.value.rows + second.value.rows}
    assert "外社区" not in names and "自填单位" not in names
    admin_next = await preview(services, month, by=ADMIN, at=clock(), page=1)
    assert isinstance(admin_next, Done)
    assert "外社区" in {s.name for _, s in everyone.value.rows + admin_next.value.rows}
    assert isinstance(refused, Refused) and refused.key == "dualreport.staff_only"
    recorded = await services.store.db.fetchall("SELECT rule FROM refusals")
    assert [r["rule"] for r in recorded] == ["dual_report_preview"]


async def test_the_registration_card_says_whether_the_work_unit_gets_the_report(services):
    def note(code, typed, party=True):
        v = Volunteer(1, "x", "B1", party_member=party, work_unit=typed, work_unit_code=code)
        return registration_note(services, v, "zh")

    assert "区税务局" in note("tax", "区税务局") and "反馈" in note("tax", "区税务局")
    assert "反馈" in note(None, "区税务局")  # typed exactly as configured: reported
    assert "不会收到双报告" in note(None, "市自来水公司")
    assert "不会收到双报告" in note("gone", "区税务局")  # its work unit left the configuration
    assert note(None, None, party=False) == ""


async def test_erasing_a_member_removes_their_name_from_a_report_not_yet_delivered(services):
    await party_member(services, 6101, "张三丰")
    await services.store.points.award(6101, PointKind.WISH, 1, 10, NOVEMBER)
    assert await monthly_reports(services, DEC_1_0930) == 2
    assert any("张三丰" in text for _, text in await outbox_texts(services))

    await services.store.privacy.erase(6101, DEC_1_0930, "已删除")

    assert not any("张三丰" in text for _, text in await outbox_texts(services))
    assert await services.store.volunteers.get(6101) is None
    assert await services.store.dualreports.service("tax", "区税务局", *_november()) == []


def _november():
    return (datetime(2026, 10, 31, 16, 0, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
