"""The monthly 通报 on the real process: a month of reports filed through chat (the bot's clock
set back into November with GRIDDESK_CLOCK_OFFSET), then the bot started in December posts
春晖社区's 通报 to 青山街道's bound group — text, chart image and XLSX — once, across a restart."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.e2e.harness import Griddesk
from tests.e2e.people import Drafts
from tests.fakebotapi import FakeBotApi

STREET_GROUP = -100777
RESIDENTS = [7101, 7102, 7103]
STAFF = [101, 201, 301, 901]
STREET = 301
COMMUNITY = 201
WORKER = 101
NOVEMBER = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DECEMBER = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def offset_to(moment: datetime) -> str:
    """Returns GRIDDESK_CLOCK_OFFSET that puts the bot's clock at MOMENT now."""
    return str((moment - datetime.now(UTC)).total_seconds())


def group_messages(fake: FakeBotApi, kind: str) -> list[dict]:
    return [m for m in fake.bot_messages(STREET_GROUP) if kind in m]


async def test_a_months_reports_reach_the_streets_group_as_text_chart_and_workbook(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path, sweep_interval=1)
    drafts = Drafts(griddesk)
    watcher = asyncio.create_task(drafts.watch())
    try:
        await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(NOVEMBER))
        for staff_id in STAFF:
            fake.user(staff_id).send_text("/start")
        group = fake.group(STREET_GROUP)
        group.send_text(STREET, "/bind S1")
        await griddesk.wait_db(
            lambda g: (
                g.scalar("SELECT unit FROM group_bindings WHERE chat_id = ?", (STREET_GROUP,))
                == "S1"
            ),
            what="the street's group bound",
        )
        residents = [fake.user(uid, first_name="王小明") for uid in RESIDENTS]
        await asyncio.gather(*(drafts.register(user) for user in residents))
        for user in residents:
            await drafts.report(user, "楼道里堆满杂物，王小明家门口")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM reports") == 3, what="three reports"
        )
        # 李网格 takes the first on (a forged press would be re-checked: this one is real).
        first = griddesk.scalar("SELECT MIN(id) FROM reports")
        await drafts.press(fake.user(WORKER), f"report:accept:{first}")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (first,)) == "accepted",
            what="the worker's accept",
        )
        # Figures are judged from history, so the report's month is the bot's November.
        assert griddesk.scalar("SELECT MIN(created_at) FROM reports").startswith("2026-11-18")
        await griddesk.stop()

        await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(DECEMBER))  # November's posts due
        await fake.wait_for(
            lambda: group_messages(fake, "document"), timeout=90, what="the 通报's workbook"
        )
        await griddesk.stop()
        posted = len(fake.bot_messages(STREET_GROUP))
        await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(DECEMBER))  # nothing sent again
        await griddesk.wait_db(
            lambda g: (
                g.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')") == 0
            ),
            what="the outbox drained",
        )
        # The community's staff ask for November in private; a mistyped month gets a hint.
        fake.user(COMMUNITY).send_text("/appraisal 2026-13")
        await fake.wait_for(
            lambda: any("不是月份" in t for t in fake.texts(COMMUNITY)), what="the hint"
        )
        fake.user(COMMUNITY).send_text("/appraisal 2026-11")
        await fake.wait_for(
            lambda: any("月度通报" in t and "李网格 · 积分" in t for t in fake.texts(COMMUNITY)),
            what="/appraisal's answer with the workers' lines",
        )
    finally:
        watcher.cancel()
        await griddesk.close()

    texts = fake.texts(STREET_GROUP)
    report = next(t for t in texts if "月度通报" in t)
    assert "春晖社区" in report and "2026-11" in report and "立案 3 件" in report
    assert any("红黄榜" in t and "春晖社区" in t for t in texts)
    # The chart (the weekly summary's chart may be there too).
    [photo] = [m for m in group_messages(fake, "photo") if "三率" in m.get("caption", "")]
    assert fake.files[photo["photo"][-1]["file_id"]].content.startswith(b"\x89PNG")
    [document] = group_messages(fake, "document")
    assert document["document"]["file_name"].endswith(".xlsx")
    content = fake.files[document["document"]["file_id"]].content
    book = load_workbook(io.BytesIO(content))
    overview = book["概况"]
    assert [c.value for c in overview[1]] == ["指标", "分子", "分母", "比率"]
    assert (overview["A2"].value, overview["B2"].value) == ("立案", 3)
    units = book["下级单位"]
    assert units["C2"].value == "第一网格" and units["D2"].value == 3
    assert book["类别"]["A2"].value == "环境卫生" and book["类别"]["B2"].value == 3
    # Nothing personal in the group: no names, no residents' words.
    everything = " ".join(texts + [str(cell) for row in units.iter_rows(values_only=True)
                                   for cell in row])  # fmt: skip
    for personal in ("王小明", "楼道里堆满杂物", "李网格"):
        assert personal not in everything
    assert len(fake.bot_messages(STREET_GROUP)) == posted
    assert len(fake.bot_messages(STREET)) > 0  # the street's staff got it in private too
    assert any("月度通报" in t for t in fake.texts(STREET))
