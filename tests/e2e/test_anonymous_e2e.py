"""Issue 12 item 10 on the real process: a resident reports anonymously; the grid worker's card
shows an anonymous resident (no name, phone or id anywhere in the worker's chat); the worker asks
through the bot, the resident answers through the bot, and the case goes on to be resolved and
verified as any other."""

from __future__ import annotations

import json

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.fakebotapi import FakeBotApi

RESIDENT = 5001
WORKER_G1 = 101  # 李网格, grid worker of 第一网格 (tests/data/config.toml)
NAME = "欧阳匿名"
PHONE = "13811112222"
DESCRIPTION = "二楼有人长期在楼道里堆放易燃杂物"


async def test_an_anonymous_report_is_handled_through_the_bot_without_the_residents_identity(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, NAME))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    resident.send(resident.user.send_text, "/start")
    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")
    resident.send(resident.user.send_text, "/me")
    await resident.tap("me:phone")
    resident.send(resident.user.send_contact, PHONE)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT phone FROM people WHERE user_id = ?", (RESIDENT,)),
        what="the resident's phone stored",
    )

    resident.send(resident.user.send_photo)
    await resident.wait_text("1")
    resident.send(resident.user.send_text, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:anon:")  # 🕶 report anonymously
    await resident.wait_text("身份：匿名")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the report stored",
    )
    card = await worker.wait_text(DESCRIPTION)
    assert "匿名居民" in card

    await worker.tap(f"report:accept:{report_id}")
    await worker.tap(f"report:ask:{report_id}")
    await worker.wait_text("要问居民的问题")
    worker.send(worker.user.send_text, "杂物具体堆在哪一户门口？")
    question = await resident.wait_text("杂物具体堆在哪一户门口")
    assert "李网格" not in question
    await resident.tap(f"report:reply:{report_id}")
    await resident.wait_text("回复")
    resident.send(resident.user.send_text, "202门口，已经一个多月了")
    answer = await worker.wait_text("202门口")
    assert "匿名居民回复" in answer

    worker.send(worker.user.send_text, "/tasks")  # the card again, to finish it
    await worker.tap(f"report:card:{report_id}")
    await worker.tap(f"report:resolve:{report_id}")
    await worker.wait_text("照片")
    worker.send(worker.user.send_photo, "杂物已清理，已提醒住户")
    await resident.tap(f"report:solved:{report_id}")
    await resident.tap(f"report:stars:{report_id}:5")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "closed",
        what="the anonymous report closed",
    )

    seen_by_worker = json.dumps(
        [c.params for c in fake.calls_of(chat_id=WORKER_G1)], ensure_ascii=False
    )
    for secret in (NAME, PHONE, str(RESIDENT)):
        assert secret not in seen_by_worker, secret
    actions = [
        r["action"]
        for r in griddesk.rows(
            "SELECT action FROM report_events WHERE report_id = ? ORDER BY id", (report_id,)
        )
    ]
    assert actions == [
        "submit", "accept", "ask_reporter", "reporter_reply", "resolve", "confirm",
    ]  # fmt: skip
