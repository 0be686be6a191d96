"""End to end on the real process: a community worker broadcasts to the residents of 春晖社区;
a resident who muted is skipped, one who blocked the bot is counted as blocked, and the worker's
progress line and end report say so."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, forge_on_walk, register
from tests.fakebotapi import FakeBotApi

COMMUNITY = 201
READER, MUTED, BLOCKED = 5001, 5002, 5003
BODY = "本周六上午9点社区广场开展消防演练，请居民积极参加。"


async def test_a_broadcast_skips_the_muted_counts_the_blocked_and_reports(
    fake: FakeBotApi, tmp_path: Path
):
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    try:
        await bot.start()
        staff = Player(fake, fake.user(COMMUNITY, "陈社区"))
        staff.send(staff.user.send_text, "/start")
        people = {n: Player(fake, fake.user(n, f"居民{n}")) for n in (READER, MUTED, BLOCKED)}
        for number, player in people.items():
            await register(player, building="2栋" if number == MUTED else "1栋")
        await bot.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM people WHERE unit IS NOT NULL") == 3,
            what="three residents registered",
        )
        people[MUTED].send(people[MUTED].user.send_text, "/mute")
        await people[MUTED].wait_text("不再收到")
        await bot.wait_db(  # everything to the residents so far delivered: the bot is not told
            lambda g: g.scalar("SELECT COUNT(*) FROM outbox WHERE state != 'sent'") == 0,
            what="the residents' messages delivered",
        )
        fake.chat(BLOCKED).blocked = True  # blocked the bot; the bot was not told

        staff.send(staff.user.send_text, "/broadcast")
        await staff.wait_text("请发送要宣传的内容")
        staff.send(staff.user.send_text, BODY)
        # the walk starts at the staff member's own community: "up" to the street is forged
        await forge_on_walk(staff, "place:up:{n}")
        await staff.tap("place:here:")
        await staff.tap("bcast:aud:residents")
        assert "居民：2 人" in await staff.wait_text("确认发送")
        await staff.tap("bcast:send")

        await people[READER].wait_text(BODY, timeout=30)
        report = await staff.wait_text("发送报告", timeout=60)
        assert "送达：1" in report and "已屏蔽机器人：1" in report and "失败：0" in report
        progress = await staff.wait_text("发送完毕", timeout=30)
        assert "已送达 1/2" in progress and "屏蔽 1" in progress
        assert not any(BODY in t for t in fake.texts(MUTED))
        row = bot.rows("SELECT state, delivered, blocked, failed FROM broadcasts")[0]
        assert tuple(row) == ("done", 1, 1, 0)
        assert fake.violations == []
    finally:
        await bot.close()
        print(bot.log_tail(200))
