"""bot/usecases/ledger.py on a real SQLite file: the 台账 workbook opened with openpyxl, its
headers in both languages, a case row's values, both ends of the period included, a unit
outside the caller's subtree absent, nothing personal; the chat request and the sweep."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.domain.ledger import Period
from bot.domain.people import Role
from bot.jobs import ledger as ledger_jobs
from bot.services import Services
from bot.usecases import ledger, reports
from bot.usecases.results import Done, Refused
from tests.conftest import ADMIN, COMMUNITY, PROPERTY, RESIDENT, RESIDENT_2, WORKER_G1, WORKER_G2
from tests.fakes import FakeClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
SECRET = "楼道堆放杂物，张阿姨 13912345678"


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def file(services: Services, clock: FakeClock, unit: str, at: datetime, who: int) -> int:
    clock.now = at
    report = await reports.submit(
        services,
        reporter_id=who,
        entered_by=None,
        category="litter",
        unit=unit,
        description=SECRET,
        photos=["p1"],
    )
    assert report.id is not None
    return report.id


async def november(services: Services, clock: FakeClock) -> dict[str, int]:
    """Cases at the edges of November (local time) at 1栋 (G1) and one at 3栋 (G2)."""
    ids = {
        "before": await file(services, clock, "B1", local(31, 23, 59, month=10), RESIDENT),
        "first": await file(services, clock, "B1", local(1, 0, 1), RESIDENT),
        "other": await file(services, clock, "B3", local(15, 10), RESIDENT_2),
        "last": await file(services, clock, "B1", local(30, 23, 58), RESIDENT),
        "after": await file(services, clock, "B1", local(1, 0, 0, month=12), RESIDENT),
    }
    first = ids["first"]
    await reports.accept(services, first, by=WORKER_G1, at=local(1, 9))
    await reports.resolve(services, first, by=WORKER_G1, at=local(1, 11), photo="a", note="好")
    await reports.verify(services, first, by=RESIDENT, at=local(1, 12), stars=5)
    clock.now = local(2, 9, month=12)
    return ids


def sheet_rows(data: bytes, title: str) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


def every_cell(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]


async def test_the_cases_sheet_shows_the_period_both_ends_included_in_chinese(
    services: Services, clock: FakeClock
):
    ids = await november(services, clock)
    built = await ledger.build(services, "C1", NOVEMBER, "zh", at=clock())
    assert built is not None
    book = load_workbook(io.BytesIO(built.data), read_only=True)
    assert book.sheetnames == [
        "案件", "吹哨报到", "五必访走访", "巡查", "志愿者积分", "微心愿", "志愿活动", "议事会投票",
        "预约",
    ]  # fmt: skip
    rows = sheet_rows(built.data, "案件")
    header = rows[0]
    assert header[:5] == ("案件编号", "类别", "单位", "状态", "上报时间")
    numbers = [row[0] for row in rows[1:]]
    assert numbers == [f"R{ids[k]:06d}" for k in ("first", "other", "last")]
    first = dict(zip(header, rows[1], strict=True))
    assert first["类别"] == "环境卫生"
    assert first["单位"] == "1栋"
    assert first["状态"] == "已办结"
    assert first["上报时间"] == datetime(2026, 11, 1, 0, 1)  # local time, as Excel shows it
    assert first["受理时间"] == datetime(2026, 11, 1, 9, 0)
    assert first["办结时间"] == datetime(2026, 11, 1, 11, 0)
    assert first["结案时间"] == datetime(2026, 11, 1, 12, 0)
    assert first["退回时间"] is None
    assert first["承办人角色"] == "网格员"
    assert first["层级"] == "网格"
    assert first["按期办结"] == "是"
    assert first["评分"] == 5
    assert built.counts["cases"] == 3


async def test_english_headers_and_a_grid_workers_subtree_only(
    services: Services, clock: FakeClock
):
    ids = await november(services, clock)
    built = await ledger.build(services, "G1", NOVEMBER, "en", at=clock())
    assert built is not None
    rows = sheet_rows(built.data, "Cases")
    assert rows[0][:4] == ("Case number", "Category", "Unit", "Status")
    assert [row[0] for row in rows[1:]] == [f"R{ids['first']:06d}", f"R{ids['last']:06d}"]
    assert rows[1][1] == "Litter and sanitation"
    assert rows[1][12] == "yes"


async def test_nothing_personal_reaches_the_workbook(services: Services, clock: FakeClock):
    await november(services, clock)
    built = await ledger.build(services, "D1", NOVEMBER, "zh", at=clock())
    assert built is not None
    cells = " ".join(every_cell(built.data))
    for secret in ("张阿姨", "13912345678", "楼道", str(RESIDENT), str(RESIDENT_2)):
        assert secret not in cells


async def test_an_empty_period_builds_nothing_and_is_refused_in_chat(
    services: Services, clock: FakeClock
):
    await november(services, clock)
    september = Period(date(2026, 9, 1), date(2026, 9, 30))
    assert await ledger.build(services, "C1", september, "zh", at=clock()) is None
    result = await ledger.request(services, COMMUNITY, "C1", september, at=clock(), lang="zh")
    assert isinstance(result, Refused) and result.key == "ledger.empty"
    assert await services.store.db.fetchall("SELECT * FROM ledger_exports") == []


async def test_offer_checks_role_and_unit(services: Services, clock: FakeClock):
    assert await ledger.offer(services, WORKER_G1, None, at=clock()) == Done("G1")
    assert await ledger.offer(services, ADMIN, "G2", at=clock()) == Done("G2")
    refused = await ledger.offer(services, WORKER_G1, "G2", at=clock())
    assert isinstance(refused, Refused) and refused.rule is not None
    assert refused.rule.value == "ledger_export"
    partner = await ledger.offer(services, PROPERTY, None, at=clock())
    assert isinstance(partner, Refused) and partner.key == "common.not_allowed"
    resident = await ledger.offer(services, RESIDENT, None, at=clock())
    assert isinstance(resident, Refused) and resident.key == "common.not_allowed"
    unknown = await ledger.offer(services, COMMUNITY, "NOPE", at=clock())
    assert isinstance(unknown, Refused) and unknown.key == "ledger.unknown_unit"


async def outbox_to(services: Services, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Returns what was queued to CHAT_ID about the ledger (not the report cards)."""
    rows = await services.store.db.fetchall(
        "SELECT method, payload FROM outbox WHERE chat_id = ? AND card_id IS NULL"
        " AND (method = 'sendDocument' OR payload LIKE '%台账%' OR payload LIKE '%ledger%')"
        " ORDER BY id",
        (chat_id,),
    )
    return [(row["method"], json.loads(row["payload"])) for row in rows]


async def test_a_request_is_built_by_the_sweep_once_and_sent_as_a_document(
    services: Services, clock: FakeClock
):
    ids = await november(services, clock)
    done = await ledger.request(services, WORKER_G1, "G1", NOVEMBER, at=clock(), lang="zh")
    assert isinstance(done, Done)
    again = await ledger.request(services, WORKER_G1, "G1", NOVEMBER, at=clock(), lang="zh")
    assert isinstance(again, Refused) and again.key == "ledger.busy"
    sent = await outbox_to(services, WORKER_G1)
    assert [m for m, _ in sent] == ["sendMessage"] and "正在生成" in sent[0][1]["text"]

    assert await ledger_jobs.exports(services, clock()) == 1
    assert await ledger_jobs.exports(services, clock.advance(hours=1)) == 0  # once only
    sent = await outbox_to(services, WORKER_G1)
    assert [m for m, _ in sent] == ["sendMessage", "sendDocument"]
    params = sent[1][1]
    assert "第一网格" in params["caption"] and "案件 2 条" in params["caption"]
    name, data = await services.store.load_file(params["document"]["$file"])
    assert name == "台账-G1-20261101-20261130.xlsx"
    rows = sheet_rows(data, "案件")
    assert [row[0] for row in rows[1:]] == [f"R{ids['first']:06d}", f"R{ids['last']:06d}"]
    again = await ledger.request(services, WORKER_G1, "G1", NOVEMBER, at=clock(), lang="zh")
    assert isinstance(again, Done)  # the first one is over: a new one may be asked


async def test_staff_who_lose_the_unit_before_the_sweep_get_no_file(
    services: Services, clock: FakeClock
):
    await november(services, clock)
    done = await ledger.request(services, WORKER_G2, "G2", NOVEMBER, at=clock(), lang="en")
    assert isinstance(done, Done)
    async with services.store.db.transaction() as conn:  # moved to 第一网格 meanwhile
        await conn.execute("UPDATE staff SET unit = 'G1' WHERE user_id = ?", (WORKER_G2,))
    assert await ledger_jobs.exports(services, clock()) == 1
    sent = await outbox_to(services, WORKER_G2)
    assert [m for m, _ in sent] == ["sendMessage", "sendMessage"]
    assert "no longer" in sent[-1][1]["text"]


async def test_an_export_that_keeps_failing_is_given_up_with_a_message(
    services: Services, clock: FakeClock, monkeypatch
):
    await november(services, clock)
    done = await ledger.request(services, COMMUNITY, "C1", NOVEMBER, at=clock(), lang="zh")
    assert isinstance(done, Done)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(ledger, "build", broken)
    for _ in range(ledger.MAX_ATTEMPTS):
        assert await ledger_jobs.exports(services, clock()) == 0
        clock.advance(seconds=ledger.LEASE.total_seconds() + 1)
    assert await ledger_jobs.exports(services, clock()) == 1
    sent = await outbox_to(services, COMMUNITY)
    assert "生成失败" in sent[-1][1]["text"]
    assert await ledger_jobs.exports(services, clock.advance(hours=1)) == 0


def test_roles_shown_have_a_name_in_both_catalogs(services: Services):
    for role in Role:
        for lang in ("zh", "en"):
            assert services.texts.has(f"ledger.role_{role.value}")
            assert services.texts(f"ledger.role_{role.value}", lang) != role.value


async def test_the_other_sheets_show_names_from_the_catalogs(services: Services, clock: FakeClock):
    at = local(10, 9)
    stamp = at.isoformat(timespec="microseconds")
    async with services.store.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO households (kind, unit, label, cadence, visitor_id, visitor_kind, notes,"
            " due_on, stage, created_by, created_at, updated_at) VALUES ('empty_nest', 'B1',"
            " '3单元502', 'weekly', 101, 'staff', '独居', '2026-12-01', 'scheduled', 201, ?, ?)",
            (stamp, stamp),
        )
        await conn.execute(
            "INSERT INTO visits (household_id, visitor_id, visitor_kind, at, outcome, due_on,"
            " note, needs) VALUES (1, 101, 'staff', ?, 'not_home', '2026-11-10', '敲门无人', 1)",
            (stamp,),
        )
        await conn.execute(
            "INSERT INTO patrols (worker_id, kind, unit, note, at)"
            " VALUES (101, 'safety', 'G1', '', ?)",
            (stamp,),
        )
    built = await ledger.build(services, "C1", NOVEMBER, "zh", at=clock())
    assert built is not None
    assert built.counts == {
        "cases": 0, "callins": 0, "visits": 1, "patrols": 1, "points": 0, "wishes": 0,
        "activities": 0, "polls": 0, "bookings": 0,
    }  # fmt: skip
    visits = sheet_rows(built.data, "五必访走访")
    row = dict(zip(visits[0], visits[1], strict=True))
    assert (row["重点户类别"], row["走访人"], row["走访结果"], row["有需求"]) == (
        "空巢", "工作人员", "不在家", "是"
    )  # fmt: skip
    assert row["走访时间"] == datetime(2026, 11, 10, 9, 0)
    patrols = sheet_rows(built.data, "巡查")
    row = dict(zip(patrols[0], patrols[1], strict=True))
    assert (row["巡查类型"], row["巡查人"], row["巡查人角色"]) == ("安全检查", "李网格", "网格员")
    assert "敲门无人" not in " ".join(every_cell(built.data))


async def test_call_ins_and_polls_have_their_sheets_and_stay_in_the_subtree(
    services: Services, clock: FakeClock
):
    ids = await november(services, clock)
    stamp = local(2, 10).isoformat(timespec="microseconds")
    later = local(2, 12).isoformat(timespec="microseconds")
    async with services.store.db.transaction() as conn:
        for report in (ids["first"], ids["other"]):  # at G1, at G2
            await conn.execute(
                "INSERT INTO callins (report_id, party, state, called_by, called_at, acked_by,"
                " acked_at, note, stage) VALUES (?, 'cityops', 'acked', 101, ?, 601, ?,"
                " '居民王阿姨说', 2)",
                (report, stamp, later),
            )
        for unit, question in (("G1", "是否加装电梯"), ("G2", "是否增设车棚")):
            await conn.execute(
                "INSERT INTO polls (created_by, unit, question, options, state, created_at,"
                " closes_at, residents) VALUES (201, ?, ?, '[\"同意\", \"反对\"]', 'closed',"
                " ?, ?, 40)",
                (unit, question, stamp, later),
            )
        await conn.execute(
            "INSERT INTO poll_votes (poll_id, user_id, option, voted_at) VALUES (1, ?, 0, ?)",
            (RESIDENT, later),
        )
    built = await ledger.build(services, "G1", NOVEMBER, "zh", at=clock())
    assert built is not None
    callins = sheet_rows(built.data, "吹哨报到")
    assert len(callins) == 2  # the header and G1's call-in: G2's is outside
    row = dict(zip(callins[0], callins[1], strict=True))
    assert row["关联案件"] == f"R{ids['first']:06d}"
    assert (row["协同部门"], row["状态"], row["曾超时"], row["上报层级数"]) == (
        "cityops", "已报到，处置中", "是", 1
    )  # fmt: skip
    assert row["报到时间"] == datetime(2026, 11, 2, 12, 0)
    polls = sheet_rows(built.data, "议事会投票")
    assert len(polls) == 2
    row = dict(zip(polls[0], polls[1], strict=True))
    assert (row["议题"], row["状态"], row["发送居民数"], row["私聊投票人数"]) == (
        "是否加装电梯", "已截止", 40, 1
    )  # fmt: skip
    assert row["结果"] == "同意 1；反对 0"
    assert "王阿姨" not in " ".join(every_cell(built.data))
    english = await ledger.build(services, None, NOVEMBER, "en", at=clock())
    assert english is not None
    assert len(sheet_rows(english.data, "Call-ins")) == 3
    assert [row[2] for row in sheet_rows(english.data, "Polls")[1:]] == [
        "是否加装电梯",
        "是否增设车棚",
    ]
