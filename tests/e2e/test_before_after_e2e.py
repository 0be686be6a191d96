"""Issue 12 item 9 on the real process: a worker resolves with an album of two after-photos (the
caption is the note); the resident's completion notice is one picture, composed by the bot from
the photos downloaded through the Bot API: the resident's photo on the left, both after-photos
stacked on the right."""

from __future__ import annotations

import io

from PIL import Image

from bot.before_after import COLUMN, GAP, HEADER
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101  # 李网格, grid worker of 第一网格 (tests/data/config.toml)
DESCRIPTION = "小区北门路灯不亮已经一周"


async def test_the_completion_notice_shows_before_and_after_side_by_side(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    resident.send(resident.user.send_text, "/start")
    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")

    resident.send(resident.user.send_photo)
    await resident.wait_text("1")
    resident.send(resident.user.send_text, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the report stored",
    )
    await worker.tap(f"report:accept:{report_id}")
    await worker.tap(f"report:resolve:{report_id}")
    await worker.wait_text("照片")
    worker.send(worker.user.send_album, 2, "路灯已更换")
    await griddesk.wait_db(
        lambda g: (
            g.scalar("SELECT more_after_photos FROM reports WHERE id = ?", (report_id,)) != "[]"
        ),
        what="the album's second photo kept with the first",
    )
    notice = await fake.wait_for(
        lambda: next(
            (m for m in fake.bot_messages(RESIDENT) if "路灯已更换" in str(m.get("caption"))),
            None,
        ),
        what="the completion notice",
    )

    before = griddesk.scalar("SELECT file_id FROM report_photos WHERE report_id = ?", (report_id,))
    after = [griddesk.scalar("SELECT resolution_photo FROM reports WHERE id = ?", (report_id,))]
    shown = notice["photo"][-1]["file_id"]
    assert shown not in (before, *after)  # a picture of its own, uploaded by the bot
    one = COLUMN * 240 // 320  # the fake's photos are 320 × 240
    with Image.open(io.BytesIO(fake.files[shown].content)) as picture:
        rgb = picture.convert("RGB")
        assert picture.size == (GAP + 2 * (COLUMN + GAP), HEADER + GAP + 2 * one + GAP + GAP)
        left = rgb.getpixel((GAP + 10, HEADER + GAP + 10))
        right_top = rgb.getpixel((2 * GAP + COLUMN + 10, HEADER + GAP + 10))
        right_below = rgb.getpixel((2 * GAP + COLUMN + 10, HEADER + GAP + one + GAP + 10))
        left_below = rgb.getpixel((GAP + 10, HEADER + GAP + one + GAP + 10))
    assert len({left, right_top, right_below}) == 3  # three different photos
    assert left_below == (255, 255, 255)  # one photo before, two after
    buttons = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert f"report:solved:{report_id}" in buttons
