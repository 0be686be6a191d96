"""台账 export on the real process: residents report through chat, then the community's staff
ask /export, type a bad period and an empty one, press 本月 and get the workbook as a document
from the fake Bot API, which the test opens with openpyxl."""

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

RESIDENTS = [7201, 7202]
COMMUNITY = 201
WORKER_G2 = 102
NOVEMBER = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def offset_to(moment: datetime) -> str:
    """Returns GRIDDESK_CLOCK_OFFSET that puts the bot's clock at MOMENT now."""
    return str((moment - datetime.now(UTC)).total_seconds())


def documents(fake: FakeBotApi, chat_id: int) -> list[dict]:
    return [m for m in fake.bot_messages(chat_id) if "document" in m]


async def test_the_community_exports_this_months_ledger_through_chat(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path, sweep_interval=1)
    drafts = Drafts(griddesk)
    watcher = asyncio.create_task(drafts.watch())
    try:
        await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(NOVEMBER))
        residents = [fake.user(uid, first_name="王小明") for uid in RESIDENTS]
        await asyncio.gather(*(drafts.register(user) for user in residents))
        for user in residents:
            await drafts.report(user, "楼道里堆满杂物，王小明 13912345678")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM reports") == 2, what="two reports"
        )
        staff = fake.user(COMMUNITY)
        staff.send_text("/start")
        staff.send_text("/export")
        await fake.wait_for(
            lambda: any("ledger:period:" in b for b in staff.buttons()), what="the period buttons"
        )
        staff.send_text("2026-11-31 2026-12-01")
        await fake.wait_for(
            lambda: any("日期不存在" in t for t in fake.texts(COMMUNITY)), what="the date hint"
        )
        staff.send_text("2026-09-01 2026-09-30")
        await fake.wait_for(
            lambda: any("没有可导出的记录" in t for t in fake.texts(COMMUNITY)),
            what="the empty period's message",
        )
        staff.press(label="本月")
        await fake.wait_for(
            lambda: any("正在生成" in t for t in fake.texts(COMMUNITY)), what="preparing…"
        )
        await fake.wait_for(lambda: documents(fake, COMMUNITY), timeout=90, what="the workbook")
        # A grid worker of another grid is refused politely (nothing to export of G1 for them).
        fake.user(WORKER_G2).send_text("/export G1")
        await fake.wait_for(lambda: fake.texts(WORKER_G2), what="the refusal")
        # A second press of the same old button starts nothing.
        staff.press(label="本月")
        await fake.wait_for(
            lambda: any("已失效" in t for t in fake.texts(COMMUNITY)),
            what="the stale button's answer",
        )
        assert griddesk.scalar("SELECT COUNT(*) FROM ledger_exports") == 1
    finally:
        watcher.cancel()
        await griddesk.close()

    [document] = documents(fake, COMMUNITY)
    assert document["document"]["file_name"] == "台账-C1-20261101-20261118.xlsx"
    assert "春晖社区" in document["caption"] and "案件 2 条" in document["caption"]
    content = fake.files[document["document"]["file_id"]].content
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book["案件"].values)
    assert rows[0][:3] == ("案件编号", "类别", "单位")
    assert [row[1] for row in rows[1:]] == ["环境卫生", "环境卫生"]
    assert all(str(row[0]).startswith("R0") for row in rows[1:])
    cells = " ".join(
        str(value) for sheet in book.worksheets for row in sheet.values for value in row
    )
    for personal in ("王小明", "13912345678", "楼道", str(RESIDENTS[0])):
        assert personal not in cells
    assert not documents(fake, WORKER_G2)
