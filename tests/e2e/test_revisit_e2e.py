"""回访 on the real process through chat: a resident's case is resolved and rated; the sweep
sends the follow-up card to community staff (with the resident's phone), never to the worker
who handled it — whose forged press is refused; the caller answers "not satisfied" with a note,
the case reopens one tier up, the old card says it is recorded; /appraisal and /monthly count
the answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi
from tests.revisit_office import mark_revisit

RESIDENT, WORKER, COMMUNITY = 5001, 101, 201
PHONE = "13987654321"
DESCRIPTION = "二单元楼道里堆了一周的装修垃圾HV31"


@pytest.fixture
async def griddesk(fake: FakeBotApi, tmp_path: Path):
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    mark_revisit(bot.config)
    try:
        yield bot
    finally:
        await bot.close()
        print(bot.log_tail(200))


def newest(fake: FakeBotApi, chat_id: int) -> int:
    return int(fake.bot_messages(chat_id)[-1]["message_id"])


async def test_a_follow_up_call_is_made_by_community_staff_and_not_satisfied_reopens_the_case(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, "欧阳晓雯"))
    worker = Player(fake, fake.user(WORKER, "李网格"))
    caller = Player(fake, fake.user(COMMUNITY, "陈社区"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    caller.send(caller.user.send_text, "/start")
    await register(resident)
    resident.send(resident.user.send_text, "/me")
    await resident.tap("me:phone")
    resident.send(resident.user.send_contact, PHONE)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT phone FROM people WHERE user_id = ?", (RESIDENT,)),
        what="the resident's phone stored",
    )

    # The case: reported, accepted, resolved, rated five stars (closed).
    resident.send(resident.user.send_photo, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE description = ?", (DESCRIPTION,)),
        what="the report stored",
    )
    await worker.tap(f"report:accept:{report_id}")
    await worker.tap(f"report:resolve:{report_id}")
    await worker.wait_text(f"R{report_id:06d}")
    worker.send(worker.user.send_photo, "已清运")
    await resident.tap(f"report:solved:{report_id}")
    await resident.tap(f"report:stars:{report_id}:5")

    # The sweep sends the card to the community, with the phone to call.
    card = await caller.wait_text("回访任务")
    assert PHONE in card and f"R{report_id:06d}" in card
    task_id = griddesk.scalar("SELECT id FROM revisits WHERE report_id = ?", (report_id,))
    assert not any("回访任务" in str(m.get("text")) for m in fake.bot_messages(WORKER))

    # The worker who handled it forges the press: refused politely, recorded.
    worker.send(worker.user.press_on, newest(fake, WORKER), f"revisit:yes:{task_id}")
    await worker.wait_text("其他工作人员")

    # The caller: not satisfied, then the resident's words.
    await caller.tap(f"revisit:no:{task_id}")
    await caller.wait_text("请发送居民的原话")
    caller.send(caller.user.send_text, "居民说楼道还是有垃圾")
    await caller.wait_text("已重新交办")
    assert griddesk.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "open"
    assert griddesk.scalar("SELECT tier FROM reports WHERE id = ?", (report_id,)) == "community"
    row = griddesk.rows("SELECT state, satisfied, note FROM revisits WHERE id = ?", (task_id,))
    assert tuple(row[0]) == ("answered", 0, "居民说楼道还是有垃圾")
    await resident.wait_text("重新交办")

    # The old card, pressed again (a forged copy of its button): already recorded.
    card_id = next(
        m["message_id"] for m in fake.bot_messages(COMMUNITY) if "回访" in str(m.get("text"))
    )
    caller.send(caller.user.press_on, card_id, f"revisit:yes:{task_id}")
    await caller.wait_text("不能再修改")
    assert griddesk.scalar("SELECT satisfied FROM revisits WHERE id = ?", (task_id,)) == 0
    refusals = griddesk.scalar("SELECT COUNT(*) FROM refusals WHERE rule = 'revisit_record'")
    assert refusals == 1

    # The figures count it: /appraisal (满意率 takes the 回访's word) and /monthly.
    caller.send(caller.user.send_text, "/appraisal")
    text = await caller.wait_text("回访：满意 0 件，不满意 1 件，待回访 0 件")
    assert "满意率 0%" in re.sub(r"<[^>]+>", "", text)  # the five stars were 100%
    caller.send(caller.user.send_text, "/monthly")
    await caller.wait_text("回访：满意 0 件，不满意 1 件")
