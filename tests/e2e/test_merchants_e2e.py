"""End to end on the real `griddesk run` process: a shop registers for 码上安全 by its location,
the grid worker approves it in chat, the cadence sweep sends the checklist, the owner answers
item by item (an old button and a PDF are refused politely) and submits; the failed item becomes
a report routed to the grid worker. A shop whose check was left open while the bot was down is
listed to the grid worker exactly once, then gets the new period's checklist."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.merchants import (
    Merchant,
    MerchantStatus,
    Policy,
    Stage,
    period_key,
    period_start,
)
from storage.db import Database
from storage.merchants import Merchants
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi
from tests.merchants_config import NEAR_B1, add_merchants

OWNER, LATE_OWNER, WORKER_G1 = 5101, 5102, 101


async def seed_late_shop(location: Path | str) -> None:
    """An approved hardware shop in 2栋 whose checklist of the last period went out 80 hours
    before this period began, unanswered, its reminders sent: the grace ran out while the bot
    was down."""
    now = datetime.now(UTC)
    policy = Policy(tz=ZoneInfo("Asia/Shanghai"))
    opened = period_start(policy, now) - timedelta(hours=80)
    db = await Database(location).open()
    try:
        shops = Merchants(db)
        shop = Merchant(owner_id=LATE_OWNER, name="乙五金店", kind="hardware", unit="B2")
        stored = await shops.register(shop, opened, [], clear_draft_of=LATE_OWNER)
        period = period_key(policy, opened)
        late = replace(
            stored,
            status=MerchantStatus.APPROVED,
            decided_by=WORKER_G1,
            period=period,
            stage=Stage.OPEN,
            opened_at=opened,
            reminders=2,
            next_at=now - timedelta(minutes=1),
        )
        await shops.save(stored, late, opened)
    finally:
        await db.close()


async def test_a_shop_registers_is_approved_checks_itself_and_a_missed_check_is_told_once(
    fake: FakeBotApi, tmp_path: Path
):
    owner = Player(fake, fake.user(OWNER, "王老板"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    late_owner = fake.user(LATE_OWNER, "乙老板")
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    add_merchants(bot.config)
    try:
        await bot.start()
        for user in (owner.user, worker.user, late_owner):  # the bot may write to them now
            user.send_text("/start")
        await fake.wait_for(
            lambda: all(u.texts() for u in (owner.user, worker.user, late_owner)), what="hi"
        )
        assert await bot.stop() == 0
        await seed_late_shop(bot.location)
        await bot.start()
        # The late shop: one line in the grid worker's message, then the new checklist.
        await worker.wait_text("逾期未提交")
        await fake.wait_for(
            lambda: any("本期码上安全自查" in t for t in late_owner.texts()), what="new checklist"
        )

        owner.send(owner.user.send_text, "/merchant")
        await owner.wait_text("请输入店铺名称")
        owner.send(owner.user.send_text, "王记餐馆")
        await owner.wait_text("店铺在哪里")
        owner.send(owner.user.send_location, *NEAR_B1)
        await owner.tap("mreg:kind:", label="餐饮")
        await owner.wait_text("联系电话")
        owner.send(owner.user.send_text, "跳过")
        await owner.tap("mreg:send:")
        await owner.wait_text("等待第一网格工作人员审核")

        await worker.tap("merch:ok:")
        await owner.wait_text("通过审核")
        await owner.tap("mchk:go:")  # the sweep sent the checklist
        first = await owner.tap("mchk:ok:")  # 安全出口
        await owner.wait_text("灭火器在有效期内")
        before = len(fake.calls)
        [card] = [m for m in fake.bot_messages(OWNER) if "第 1 项" in str(m.get("text"))]
        owner.user.press_on(card["message_id"], first)  # the same button, pressed again
        await fake.wait_for(
            lambda: any(
                c.method == "answerCallbackQuery" and "已经回答过" in str(c.params.get("text"))
                for c in fake.calls[before:]
            ),
            what="the second press answered",
        )
        await owner.tap("mchk:bad:")  # 灭火器: a photo is asked
        await owner.wait_text("请拍一张照片")
        owner.send(owner.user.send_document)
        await owner.wait_text("PDF、贴纸或文字不能代替照片")
        owner.send(owner.user.send_photo)
        await owner.wait_text("请简单说明问题")
        owner.send(owner.user.send_text, "灭火器压力表指针在红区")
        await owner.tap("mchk:ok:")  # 燃气
        await owner.tap("mchk:send:")
        await owner.wait_text("事件编号：R000001")
        await worker.wait_text("R000001")

        # More sweep passes: nothing is told twice.
        polls = len(fake.calls_of("getUpdates"))
        await fake.wait_for(
            lambda: len(fake.calls_of("getUpdates")) >= polls + 2, what="a few passes"
        )
        assert sum("逾期未提交" in t for t in fake.texts(WORKER_G1)) == 1
        assert sum("本期码上安全自查" in t for t in late_owner.texts()) == 1
        report = bot.rows("SELECT category, unit, holder_unit, reporter_id FROM reports")
        assert [tuple(r) for r in report] == [("safety", "B1", "G1", OWNER)]
        assert bot.scalar("SELECT COUNT(*) FROM merchant_checks") == 1
        assert all(row["chat_id"] > 0 for row in bot.rows("SELECT chat_id FROM outbox"))
    finally:
        await bot.close()
        print(bot.log_tail(80))
