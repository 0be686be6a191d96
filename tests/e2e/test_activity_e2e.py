"""End to end: community staff create an activity with one place through the chat, two volunteers
sign up (one waits), the first leaves and the second moves up, the organiser checks them in from
the roster — the real bot process against the fake Bot API. Second presses and a forged check-in
change nothing and are answered politely."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.harness import Griddesk
from tests.e2e.wishes import seed, step
from tests.fakebotapi import FakeBotApi, FakeUser

RESIDENT, COMMUNITY = 5001, 201
COMMUNITY_NAME = "春晖社区"  # C1, the organiser's unit
HERE = f"✅ 就是这里：{COMMUNITY_NAME}"
VOLUNTEER_A, VOLUNTEER_B = 6001, 6002


def labels(user: FakeUser) -> list[str]:
    """Returns the labels of the inline buttons on USER's newest message that has any."""
    for message in reversed(user.messages()):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if rows:
            return [button["text"] for row in rows for button in row]
    return []


async def answer_to(fake: FakeBotApi, user: FakeUser, data: str) -> str:
    """Presses DATA as USER and returns the bot's answer to the press (its short notice)."""
    query_id = user.press(data)["callback_query"]["id"]
    await fake.wait_for(
        lambda: fake.callback_queries[query_id]["answered"], what=f"the answer to {data}"
    )
    return str(fake.callback_queries[query_id].get("answer") or "")


async def test_an_activity_from_creation_to_check_in_through_the_chat(
    fake: FakeBotApi, tmp_path: Path
):
    organiser = fake.user(COMMUNITY, "陈社区")
    a, b = fake.user(VOLUNTEER_A, "甲"), fake.user(VOLUNTEER_B, "乙")
    bot = Griddesk(fake, tmp_path, sweep_interval=5)
    try:
        await bot.start()
        for user in (organiser, a, b):
            user.send_text("/start")
        await fake.wait_for(lambda: all(u.texts() for u in (organiser, a, b)), what="hi")
        assert await bot.stop() == 0
        await seed(
            bot.location,
            RESIDENT,
            "137",
            [(VOLUNTEER_A, "B1", "repair"), (VOLUNTEER_B, "B2", "repair")],
        )
        await bot.start()

        # In 50 minutes: check-in is open at once (it opens an hour before the start).
        starts = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=50)
        say = organiser.send_text
        await step(fake, lambda: say("/activity_new"), lambda: "名称" in organiser.last_text())
        await step(fake, lambda: say("修理小课堂"), lambda: "时间" in organiser.last_text())
        when = starts.strftime("%Y-%m-%d %H:%M")
        await step(fake, lambda: say(when), lambda: "地点" in organiser.last_text())
        await step(fake, lambda: say("社区活动室"), lambda: "多少人" in organiser.last_text())
        await step(
            fake, lambda: say("1"), lambda: "actnew:skills_done" in organiser.buttons(), "skills"
        )
        await step(
            fake,
            lambda: organiser.press("actnew:skill:repair"),
            lambda: "家电维修" in organiser.last_text(),
            "the skill chosen",
        )
        await step(
            fake,
            lambda: organiser.press("actnew:skills_done"),
            lambda: COMMUNITY_NAME in "".join(labels(organiser)),
            "the unit",
        )
        # The walk by its labels, as a person reads it (the callback data is the picker's own;
        # a walk may begin at the organiser's own unit or one step above it).
        if HERE not in labels(organiser):
            await step(
                fake,
                lambda: organiser.press(label=f"📂 {COMMUNITY_NAME}"),
                lambda: HERE in labels(organiser),
                "the community to choose",
            )
        await step(
            fake,
            lambda: organiser.press(label=HERE),
            lambda: "actnew:create" in organiser.buttons(),
            "the summary",
        )
        await step(
            fake,
            lambda: organiser.press("actnew:create"),
            lambda: (
                any(d.startswith("act:join:") for d in a.buttons())
                and any(d.startswith("act:join:") for d in b.buttons())
            ),
            "the announcement",
        )
        activity_id = bot.scalar("SELECT id FROM activities")
        going = "SELECT volunteer_id, status FROM signups ORDER BY position"

        assert await answer_to(fake, a, f"act:join:{activity_id}") == ""
        await bot.wait_db(lambda g: g.rows(going), what="A's sign-up")
        assert await answer_to(fake, b, f"act:join:{activity_id}") == ""
        await bot.wait_db(lambda g: len(g.rows(going)) == 2, what="B's sign-up")
        assert [tuple(r) for r in bot.rows(going)] == [
            (VOLUNTEER_A, "going"),
            (VOLUNTEER_B, "waitlist"),
        ]
        # A second tap on the card's old "join" (the card now offers "leave"): said in the chat.
        a.press_on(a.messages()[-1]["message_id"], f"act:join:{activity_id}")
        await fake.wait_for(lambda: "已经报名" in a.last_text(), what="already signed up")

        await step(
            fake,
            lambda: a.press(f"act:leave:{activity_id}"),
            lambda: any("从候补转为正式报名" in t for t in b.texts()),
            "B moved up",
        )
        assert [tuple(r) for r in bot.rows(going)] == [
            (VOLUNTEER_A, "cancelled"),
            (VOLUNTEER_B, "going"),
        ]

        # A forged check-in by a volunteer: refused, recorded, nothing changes.
        forged = f"act:in:{activity_id}:{VOLUNTEER_B}"
        a_card = a.messages()[-1]["message_id"]
        query_id = a.press_on(a_card, forged)["callback_query"]["id"]
        await fake.wait_for(lambda: fake.callback_queries[query_id]["answered"], what="forged")
        assert fake.callback_queries[query_id]["answer"] == "您没有权限进行此操作。"
        assert bot.scalar("SELECT COUNT(*) FROM points_ledger") == 0

        # The organiser checks B in from the roster: B earns the points once.
        await step(
            fake,
            lambda: organiser.press(f"act:roster:{activity_id}"),
            lambda: forged in organiser.buttons(),
            "the roster",
        )
        assert await answer_to(fake, organiser, forged) == ""
        await fake.wait_for(lambda: any("积分" in t for t in b.texts()), what="B's points")
        roster = organiser.messages()[-1]["message_id"]
        organiser.press_on(roster, forged)  # the old roster's button, a second time
        await fake.wait_for(lambda: "不在报名名单" in organiser.last_text(), what="once only")
        assert (
            bot.scalar(
                "SELECT SUM(points) FROM points_ledger WHERE volunteer_id = ?", (VOLUNTEER_B,)
            )
            == 5
        )
        assert bot.scalar("SELECT COUNT(*) FROM refusals WHERE action = 'act:in'") == 1
        assert fake.violations == []
        assert await bot.stop() == 0
    finally:
        await bot.close()
