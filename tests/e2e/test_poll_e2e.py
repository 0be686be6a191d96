"""End to end on the real process: a 议事会 poll of 春晖社区 — residents vote on their cards
(a second vote refused), the bound group votes in a native poll, and when the poll closes
(the bot restarted a day later) the native poll is stopped and the results are posted to the
creator, the resident who asked and the group."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, forge_on_walk, register
from tests.fakebotapi import FakeBotApi

COMMUNITY = 201
FIRST, SECOND = 5001, 5002
GROUP = -100601
QUESTION = "是否同意在1栋加装电梯？"


async def test_a_poll_with_votes_closes_and_its_results_are_posted(
    fake: FakeBotApi, tmp_path: Path
):
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    try:
        await bot.start()
        staff = Player(fake, fake.user(COMMUNITY, "陈社区"))
        staff.send(staff.user.send_text, "/start")
        first, second = (Player(fake, fake.user(n, f"居民{n}")) for n in (FIRST, SECOND))
        await register(first)
        await register(second, building="2栋")
        group = fake.group(GROUP)
        group.send_text(COMMUNITY, "/bind")
        await fake.wait_for(lambda: group.texts(), timeout=30, what="the group bound")

        staff.send(staff.user.send_text, "/poll")
        await staff.wait_text("请输入议事会要投票的问题")
        staff.send(staff.user.send_text, QUESTION)
        await staff.wait_text("请逐条发送选项")
        staff.send(staff.user.send_text, "同意")
        await staff.wait_text("1. 同意")
        await staff.tap("pollnew:done")
        await staff.wait_text("至少需要 2 个选项")  # one option is politely refused
        staff.send(staff.user.send_text, "不同意")
        await staff.tap("pollnew:done")
        # the walk starts at the staff member's own community: "up" to the street is forged
        await forge_on_walk(staff, "place:up:{n}")
        await staff.tap("place:here:")
        await staff.tap("pollnew:days:1")
        preview = await staff.wait_text("预览")
        assert "居民 2 人" in preview and "群 1 个" in preview
        await staff.tap("pollnew:ok")

        await first.tap("poll:vote:", suffix=":0", timeout=30)
        await first.wait_text("您投了：同意")
        await first.tap("poll:notify:")
        await second.tap("poll:vote:", suffix=":1", timeout=30)
        await second.wait_text("您投了：不同意")
        poll_id = bot.scalar("SELECT id FROM polls")
        card = next(m for m in fake.bot_messages(SECOND) if QUESTION in m.get("text", ""))
        second.send(second.user.press_on, card["message_id"], f"poll:vote:{poll_id}:0")  # again
        await second.wait_text("已经投过票了")
        [native] = await fake.wait_for(lambda: group.polls(), timeout=30, what="the group poll")
        for member, option in ((6001, 0), (6002, 0), (6003, 1)):
            group.vote(member, native["id"], [option])
        await bot.wait_db(
            lambda g: g.scalar("SELECT total FROM poll_groups") == 3,
            what="the group's counts kept",
        )
        assert bot.scalar("SELECT COUNT(*) FROM poll_votes") == 2

        await bot.stop()
        await bot.start(GRIDDESK_CLOCK_OFFSET=str(86400 + 120))  # a day later
        results = await staff.wait_text("投票结果", timeout=60)
        assert "• 同意：1" in results and "• 不同意：1" in results
        assert "共 2 人投票，发出 2 份" in results
        assert "• 同意：2" in results and "共 3 人。" in results  # the group, apart
        assert native["is_closed"]  # stopPoll
        await first.wait_text("投票结果")
        await fake.wait_for(
            lambda: any("投票结果" in t for t in group.texts()), timeout=30, what="group results"
        )
        assert not any("投票结果" in t for t in fake.texts(SECOND))
        assert bot.scalar("SELECT state FROM polls") == "closed"
        assert fake.violations == []
    finally:
        await bot.close()
        print(bot.log_tail(200))
