"""End to end, on the real process: community staff register a 四进四访 household through chat
from the shipped kinds, taking the kind's proposed cadence; a forged kind is refused and nothing
is stored; after the kind leaves the configuration its household is still listed, by its code."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

COMMUNITY = 201
WORKER_G1 = 101

ONLY_WUBIFANG = """
[[care.kinds]]
code = "empty_nest"
zh = "空巢"
en = "Empty nest"
cadence = "weekly"
group = "五必访"
"""


async def test_a_sijinsifang_household_is_registered_in_chat_and_outlives_its_kind(
    fake: FakeBotApi, tmp_path: Path
):
    bot = Griddesk(fake, tmp_path)
    community = Player(fake, fake.user(COMMUNITY, "陈社区"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    try:
        await bot.start()
        worker.send(worker.user.send_text, "/start")
        community.send(community.user.send_text, "/start")
        await worker.wait_text("李网格")

        community.send(community.user.send_text, "/household")
        asked = await community.wait_text("登记重点户")
        assert "<b>五必访</b>" not in asked  # shown as bold text, names listed per group
        assert "五必访：重病、残疾、空巢、困难、失独" in asked
        assert "四进四访：困难家庭、离退休人员、孤寡老人、信访人员" in asked
        await community.tap("household:kind:lone_elder")
        await community.tap("place:pick:", label="第一网格")
        await community.tap("place:pick:", label="1栋")
        await community.wait_text("门牌")
        community.send(community.user.send_text, "5单元101")
        await community.tap("household:cad:", label="⭐ 每周（建议）")  # 孤寡老人: weekly
        await community.tap(f"household:vis:{WORKER_G1}")
        await community.tap("household:skip")
        await community.wait_text("已登记重点户")
        told = await worker.wait_text("5单元101")
        assert "孤寡老人" in told

        # A kind nobody offers (an old button, a forged press) is refused; nothing is stored.
        community.send(community.user.send_text, "/household")
        await community.wait_text("登记重点户")
        messages = fake.bot_messages(COMMUNITY)
        community.user.press_on(messages[-1]["message_id"], "household:kind:no_such_kind")
        await community.wait_text("该类型已不再登记新户")
        assert bot.scalar("SELECT COUNT(*) FROM households") == 1
        assert bot.rows("SELECT kind, cadence FROM households")[0][:2] == ("lone_elder", "weekly")
        assert await bot.stop() == 0

        # The office drops 四进四访: the household stays, shown by its code.
        with Path(bot.config).open("a", encoding="utf-8") as file:
            file.write(ONLY_WUBIFANG)
        await bot.start()
        community.send(community.user.send_text, "/households")
        listed = await community.wait_text("5单元101")
        assert "lone_elder" in listed
        community.send(community.user.send_text, "/household")
        asked = await community.wait_text("登记重点户")
        assert "孤寡老人" not in asked and "空巢" in asked
        assert await bot.stop() == 0
    finally:
        await bot.close()
        print(bot.log_tail(60))
