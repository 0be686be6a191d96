"""End to end: 下沉干部 on the real `griddesk run` process. The file sends the street's 周街道
down to 第一网格; in chat the community sends the property company down too, refuses a second
press and a stranger. The partner logs a door-knocking round with /patrol in the grid and /duty
shows the week's duty done; /monthly shows the figures. At the week's reminder moment (after a
restart) the one behind is reminded and the grid's head gets one list naming only them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

HEAD_G1, COMMUNITY, STREET, PROPERTY = 103, 201, 301, 401
SHANGHAI = ZoneInfo("Asia/Shanghai")
CADRES = """
[cadres]
weekday = 7  # Sunday
hour = 23

[[cadres.duties]]
code = "knock"
zh = "网格叮咚敲门"
en = "Door-knocking"
kind = "doorknock"
count = 1
per = "week"

[[cadres.members]]
telegram_id = 301
grid = "G1"
"""


def offset_to(moment: datetime) -> str:
    return str((moment - datetime.now(UTC)).total_seconds())


async def test_cadres_are_sent_down_patrol_see_their_duty_and_the_sweep_reminds_once(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path, sweep_interval=1)
    try:
        await play(fake, griddesk)
    finally:
        await griddesk.close()
        print(griddesk.log_tail(120))


async def play(fake: FakeBotApi, griddesk: Griddesk) -> None:
    with griddesk.config.open("a", encoding="utf-8") as config:
        config.write(CADRES)
    today = datetime.now(SHANGHAI).date()
    monday = datetime.combine(
        today + timedelta(days=7 - today.weekday()), time(10), tzinfo=SHANGHAI
    )
    head = Player(fake, fake.user(HEAD_G1, "赵网格长"))
    community = Player(fake, fake.user(COMMUNITY, "陈社区"))
    street = Player(fake, fake.user(STREET, "周街道"))
    partner = Player(fake, fake.user(PROPERTY, "春晖物业"))
    await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(monday))
    for player in (head, community, street, partner):
        player.send(player.user.send_text, "/start")
    await fake.wait_for(
        lambda: all(fake.texts(p) for p in (103, 201, 301, 401)), what="the welcomes"
    )

    # A partner arranges nobody; a forged press is refused the same way and writes nothing.
    partner.send(partner.user.send_text, "/cadres")
    await partner.wait_text("下沉干部由社区")
    partner.send(partner.user.send_text, "/patrol")  # not sent down yet: no care staff
    await partner.wait_text("仅限")

    community.send(community.user.send_text, "/cadres")
    await community.tap("place:pick:", label="第一网格")
    await community.tap("place:here:")
    await community.wait_text("周街道")  # the file's cadre
    await community.tap("cadre:add:G1:")
    pick = await community.tap("cadre:pick:G1:", label="春晖物业 · 协作单位 · 春晖社区")
    await partner.wait_text("您已作为下沉干部编入")
    [card] = [  # the one /cadres card, edited in place: the list again, the pick button gone
        i for i, m in fake.chat(COMMUNITY).messages.items() if "cadre:" in json.dumps(m)
    ]
    community.send(community.user.press_on, card, pick)  # an old copy of the button
    await community.wait_text("已编入该网格")
    assert griddesk.scalar("SELECT COUNT(*) FROM cadres WHERE until IS NULL") == 2

    # The partner logs a door-knocking round in a building of their grid.
    partner.send(partner.user.send_text, "/patrol")
    await partner.tap("patrol:kind:", suffix=":doorknock")
    await partner.tap("place:pick:", label="1栋")
    await partner.tap("patrol:skip")
    await partner.tap("patrol:photos")
    await partner.tap("patrol:done")
    await griddesk.wait_db(lambda g: g.scalar("SELECT COUNT(*) FROM patrols") == 1)
    partner.send(partner.user.send_text, "/duty")
    await partner.wait_text("✅ 网格叮咚敲门（本周）1/1")
    community.send(community.user.send_text, "/monthly")
    monthly = await community.wait_text("下沉干部")
    assert "春晖物业 · 青山街道 / 春晖社区 / 第一网格：" in monthly and "周街道 · " in monthly
    assert await griddesk.stop() == 0

    # Back at Sunday 23:30 of that week, past the moment: the sweep runs once.
    await griddesk.start(GRIDDESK_CLOCK_OFFSET=offset_to(monday + timedelta(days=6, hours=13.5)))
    listed = await head.wait_text("下沉干部本期未完成职责", timeout=60)
    assert "周街道" in listed and "春晖物业" not in listed
    await street.wait_text("下沉职责提醒")
    polls = len(fake.calls_of("getUpdates"))
    await fake.wait_for(
        lambda: len(fake.calls_of("getUpdates")) >= polls + 2, what="a few more sweep passes"
    )
    assert await griddesk.stop() == 0
    assert sum("下沉职责提醒" in t for t in fake.texts(STREET)) == 1
    assert sum("未完成职责" in t for t in fake.texts(HEAD_G1)) == 1
    assert not any("下沉职责提醒" in t for t in fake.texts(PROPERTY))
    assert griddesk.scalar("SELECT COUNT(*) FROM cadre_reminders") == 2
