"""The monthly 通报 and 红黄榜 sweep (bot/jobs/appraisal.py) on a real SQLite file: who gets
what, once, with the chart and the XLSX, and nothing personal in a group."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.domain.groups import Binding, Purpose
from bot.jobs.appraisal import monthly_posts
from bot.services import Services
from storage.outbox_files import file_id
from tests.fakes import FakeClock
from tests.usecases.test_appraisal import november

STREET_GROUP, COMMUNITY_GROUP = -1001, -1002
STREET, ADMIN, PARTNER = 301, 901, 401
FORGOTTEN: dict[int, int] = {}
POSTS_DUE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 1 December 09:00 in Shanghai


async def bind(services: Services, chat_id: int, unit: str, lang: str = "zh") -> None:
    binding = Binding(chat_id, unit, Purpose.SUMMARY, 201, datetime(2026, 10, 1, tzinfo=UTC), lang)
    await services.store.groups.bind(binding, [])


async def outbox(services: Services) -> list[tuple[int, str, dict]]:
    """Returns the rows queued since `forget_outbox` (the month's own notices are not asked)."""
    rows = await services.store.db.fetchall(
        "SELECT chat_id, method, payload FROM outbox WHERE id > ? ORDER BY id",
        (FORGOTTEN.get(id(services), 0),),
    )
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


async def forget_outbox(services: Services) -> None:
    row = await services.store.db.fetchone("SELECT COALESCE(MAX(id), 0) FROM outbox")
    FORGOTTEN[id(services)] = int(row[0]) if row else 0


async def stored_file(services: Services, params: dict, key: str) -> tuple[str, bytes]:
    ref = file_id(params[key])
    assert ref is not None
    return await services.store.load_file(ref)


async def test_each_communitys_report_goes_to_its_street_once_with_chart_and_workbook(
    services: Services, clock: FakeClock
):
    await november(services, clock)
    await bind(services, STREET_GROUP, "S1")
    await bind(services, COMMUNITY_GROUP, "C1")
    clock.now = datetime(2026, 12, 1, 0, 59, tzinfo=UTC)
    await forget_outbox(services)
    assert await monthly_posts(services, clock.now) == 0  # 08:59: not yet
    clock.now = POSTS_DUE
    assert await monthly_posts(services, clock.now) > 0
    rows = await outbox(services)
    to_street = [(method, params) for chat, method, params in rows if chat == STREET_GROUP]
    methods = [method for method, _ in to_street]
    # C1's 通报 (text, chart, workbook) and S1's 红黄榜 of its communities.
    assert methods.count("sendDocument") == 1 and methods.count("sendPhoto") == 1
    report = next(p["text"] for m, p in to_street if m == "sendMessage" and "月度通报" in p["text"])
    assert "春晖社区" in report and "2026-11" in report
    assert "立案 4 件" in report
    league = next(p["text"] for m, p in to_street if m == "sendMessage" and "红黄榜" in p["text"])
    assert "春晖社区" in league
    # The street's staff get C1's 通报 in private; the partner does not.
    private = {chat for chat, _, _ in rows if chat > 0}
    assert STREET in private and PARTNER not in private
    # S1's own 通报 goes to the district's staff (the admin is at D1), not to the street group.
    assert ADMIN in private
    # Nothing personal in a group: no staff names, residents' text or ids.
    group_text = json.dumps([p for chat, _, p in rows if chat < 0], ensure_ascii=False)
    for personal in ("李网格", "王网格", "楼道堆放杂物", "清理完毕", "5001", "5002"):
        assert personal not in group_text
    # The community group gets the 红黄榜 of its grids.
    to_community = [p["text"] for chat, m, p in rows if chat == COMMUNITY_GROUP]
    assert len(to_community) == 1 and "第一网格" in to_community[0]

    document = next(p for m, p in to_street if m == "sendDocument")
    name, data = await stored_file(services, document, "document")
    assert name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概况", "下级单位", "类别", "每月一题"]
    overview = book["概况"]
    assert [c.value for c in overview[1]] == ["指标", "分子", "分母", "比率"]
    assert (overview["A2"].value, overview["B2"].value) == ("立案", 4)
    satisfaction = next(r for r in overview.iter_rows(values_only=True) if r[0] == "满意率")
    assert satisfaction[1:] == (1, 2, 0.5)
    units = book["下级单位"]
    assert {units["C2"].value, units["C3"].value} == {"第一网格", "第二网格"}
    photo = next(p for m, p in to_street if m == "sendPhoto")
    _, png = await stored_file(services, photo, "photo")
    assert png.startswith(b"\x89PNG")

    queued = len(rows)
    clock.now = POSTS_DUE.replace(hour=5)
    assert await monthly_posts(services, clock.now) == 0  # once per (unit, month, kind)
    assert len(await outbox(services)) == queued


async def test_a_month_without_reports_posts_nothing_but_is_decided_once(
    services: Services, clock: FakeClock
):
    await bind(services, STREET_GROUP, "S1", "en")
    clock.now = POSTS_DUE
    await forget_outbox(services)
    assert await monthly_posts(services, clock.now) == 0
    assert await outbox(services) == []
    claims = await services.store.appraisals.claimed("2026-11")
    assert ("C1", "report") in claims and ("S1", "league") in claims  # decided once


async def test_english_groups_get_the_report_in_english(services: Services, clock: FakeClock):
    await november(services, clock)
    await bind(services, STREET_GROUP, "S1", "en")
    clock.now = POSTS_DUE
    await forget_outbox(services)
    await monthly_posts(services, clock.now)
    texts = [
        p["text"] for chat, m, p in await outbox(services) if chat == STREET_GROUP and "text" in p
    ]
    assert any("monthly report 2026-11" in t for t in texts)
    document = next(
        p for chat, m, p in await outbox(services) if m == "sendDocument" and chat == STREET_GROUP
    )
    _, data = await stored_file(services, document, "document")
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == "Overview"
