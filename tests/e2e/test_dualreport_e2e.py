"""End to end, on the real process: a party member registers at /volunteer picking their work
unit, community staff approve, staff preview /dualreport, and after the month turns the work
unit's contact gets the member's verified service once, however often the bot restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.points import PointKind
from storage.db import Database
from storage.points import Points
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMMUNITY = 201
MEMBER = 7101
CONTACT = 7001

WORK_UNITS = """
[[work_units]]
code = "tax"
name = "区税务局"
contact_user = 7001

[[work_units]]
code = "bank"
name = "工商银行支行"
contact_user = 7002
"""


def next_month_offset(minutes: int = 0) -> str:
    """Returns the clock offset (seconds) to the 1st of next month, 10:00 in Shanghai."""
    now = datetime.now(UTC)
    local = now.astimezone(SHANGHAI).date()
    first = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    target = datetime.combine(first, time(10, minutes), tzinfo=SHANGHAI)
    return str((target - now).total_seconds())


async def award(location: Path | str) -> None:
    """A wish the member did, confirmed by the resident (the wish flow has its own e2e test)."""
    db = await Database(location).open()
    try:
        await Points(db).award(MEMBER, PointKind.WISH, 42, 10, datetime.now(UTC))
    finally:
        await db.close()


async def test_a_party_member_registered_in_chat_is_reported_to_their_work_unit_once(
    fake: FakeBotApi, tmp_path: Path
):
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    with Path(bot.config).open("a", encoding="utf-8") as file:
        file.write(WORK_UNITS)
    member = Player(fake, fake.user(MEMBER, "刘党员"))
    community = Player(fake, fake.user(COMMUNITY, "陈社区"))
    contact = fake.user(CONTACT, "税务局联系人")
    try:
        await bot.start()
        contact.send_text("/start")
        community.send(community.user.send_text, "/start")
        await register(member)
        await member.wait_text("1栋", timeout=30)

        member.send(member.user.send_text, "/volunteer")
        await member.wait_text("姓名")
        member.send(member.user.send_text, "刘党员")
        await member.wait_text("联系电话")
        member.send(member.user.send_text, "13800001111")
        await member.tap("volreg:skill:repair")
        await member.tap("volreg:skills_done")
        await member.tap("volreg:team:-")
        await member.tap("volreg:avail:weekend")
        await member.tap("volreg:avail_done")
        await member.tap("place:home:")
        await member.tap("volreg:party:1")
        await member.wait_text("请选择您的工作单位")
        await member.tap("volreg:wu:tax")
        await member.wait_text("每月将向“区税务局”反馈")
        await member.tap("volreg:submit")
        await community.tap(f"vol:ok:{MEMBER}", timeout=30)
        await member.wait_text("已通过审核", timeout=30)

        community.send(community.user.send_text, "/dualreport")
        preview = await community.wait_text("双报告预览")
        assert "区税务局" in preview and "刘党员：本月暂无经核实的服务" in preview
        assert "13800001111" not in preview
        assert await bot.stop() == 0

        await award(bot.location)
        # The month turns while the bot is down; it starts on the 1st at 10:00, after [dualreport]
        # hour: each work unit's contact gets last month's report.
        await bot.start(GRIDDESK_CLOCK_OFFSET=next_month_offset())
        report = await fake.wait_for(
            lambda: next((t for t in contact.texts() if "双报告" in t), None),
            timeout=60,
            what="the report to the tax bureau's contact",
        )
        assert "区税务局" in report and "刘党员：微心愿 1 件" in report and "积分 10" in report
        assert "13800001111" not in report and "1栋" not in report
        await bot.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM dual_reports") == 4, what="both work units"
        )
        await bot.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM outbox WHERE state != 'sent'") == 0,
            what="the outbox drained",
        )
        await bot.kill()

        await bot.start(GRIDDESK_CLOCK_OFFSET=next_month_offset(minutes=2))
        polls = len(fake.calls_of("getUpdates"))
        await fake.wait_for(
            lambda: len(fake.calls_of("getUpdates")) >= polls + 2,
            timeout=60,
            what="a few sweep passes on the restarted bot",
        )
        assert await bot.stop() == 0
        assert len([t for t in contact.texts() if "双报告" in t]) == 1
        # The bank has no members registered: its months are decided, nothing is sent.
        assert bot.scalar("SELECT COUNT(*) FROM outbox WHERE chat_id = 7002") == 0
        assert bot.scalar("SELECT COUNT(*) FROM dual_reports") == 4  # two months, two units
    finally:
        await bot.close()
        print(bot.log_tail(120))
