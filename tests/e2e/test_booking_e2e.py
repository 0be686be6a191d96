"""End to end: bookings (预约办理 / 找场馆) on the real process against the fake Bot API. Two
residents press for the last place of the community room at the same moment: exactly one gets
it, the other is told it just filled and books another time; staff confirm both from their
cards; a forged cancel of someone else's booking is refused. The next morning (the clock set
forward, the bot restarted) the hour reminder goes out once, staff record the no-show of the
earlier booking from /bookings, and that person's next booking shows staff "1 no-show"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.harness import Griddesk
from tests.e2e.wishes import step
from tests.fakebotapi import FakeBotApi, FakeUser

COMMUNITY = 201
RESIDENT_A, RESIDENT_B = 7201, 7202
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
TUESDAY = datetime(2026, 12, 8, 9, 5, tzinfo=SHANGHAI)  # the 10:00 slot's hour reminder is due

RESOURCES = """
[calendar]
holidays = [2026-12-09]

[[resources]]
code = "room"
zh = "社区活动室"
en = "Community room"
unit = "C1"
capacity = 1
hours = ["mon-sun 09:00-12:00,14:00-17:00"]
"""


def offset_to(moment: datetime) -> str:
    return str((moment - datetime.now(UTC)).total_seconds())


async def choose(fake: FakeBotApi, user: FakeUser, day: str, slot: str, purpose: str) -> None:
    """Goes through /book up to the confirmation card for the room at DAY (yyyymmdd) SLOT."""
    await step(fake, lambda: user.send_text("/book"), lambda: "bknew:res:room" in user.buttons())
    await step(
        fake,
        lambda: user.press("bknew:res:room"),
        lambda: f"bknew:day:{day}" in user.buttons(),
        "the days",
    )
    await step(
        fake,
        lambda: user.press(f"bknew:day:{day}"),
        lambda: f"bknew:slot:{slot}" in user.buttons(),
        "the slots",
    )
    await step(
        fake,
        lambda: user.press(f"bknew:slot:{slot}"),
        lambda: "bknew:back" in user.buttons() and "用途" in str(user.messages()[-1]),
        "the purpose question",
    )
    await step(
        fake, lambda: user.send_text(purpose), lambda: "bknew:ok" in user.buttons(), "confirm"
    )


async def test_booking_a_room_through_the_chat_from_the_race_to_the_no_show(
    fake: FakeBotApi, tmp_path: Path
):
    staff = fake.user(COMMUNITY, "陈社区")
    a, b = fake.user(RESIDENT_A, "甲"), fake.user(RESIDENT_B, "乙")
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    bot.config.write_text(bot.config.read_text(encoding="utf-8") + RESOURCES, encoding="utf-8")
    try:
        await bot.start(GRIDDESK_CLOCK_OFFSET=offset_to(MONDAY))
        staff.send_text("/start")
        # The holiday is not offered; both reach the confirmation of Tuesday 10:00.
        await choose(fake, a, "20261208", "1000", "老年合唱排练")
        assert "bknew:day:20261209" not in a.buttons()
        await choose(fake, b, "20261208", "1000", "社区读书会")
        a.press("bknew:ok")
        b.press("bknew:ok")  # at the same moment: one place left
        booked = "SELECT user_id FROM bookings WHERE status = 'pending'"
        await bot.wait_db(lambda g: len(g.rows(booked)) == 1, what="one booking")
        await fake.wait_for(
            lambda: any("刚刚约满" in t for t in a.texts() + b.texts()), what="the loser told"
        )
        [[winner]] = [tuple(r) for r in bot.rows(booked)]
        loser = b if winner == RESIDENT_A else a
        assert bot.scalar("SELECT taken FROM booking_slots") == 1
        # The loser is back at the day's slots, where 10:00 is no longer offered.
        await fake.wait_for(lambda: "bknew:slot:1100" in loser.buttons(), what="slots again")
        assert "bknew:slot:1000" not in loser.buttons()
        await step(
            fake,
            lambda: loser.press("bknew:back"),
            lambda: "bknew:day:20261207" in loser.buttons(),
            "the days again",
        )
        await step(
            fake,
            lambda: loser.press("bknew:day:20261207"),
            lambda: "bknew:slot:1100" in loser.buttons(),
            "today's slots",
        )
        await step(
            fake,
            lambda: loser.press("bknew:slot:1100"),
            lambda: "bknew:back" in loser.buttons(),
            "purpose",
        )
        await step(fake, lambda: loser.send_text("练字"), lambda: "bknew:ok" in loser.buttons())
        await step(
            fake,
            lambda: loser.press("bknew:ok"),
            lambda: len(bot.rows("SELECT id FROM bookings")) == 2,
            "the loser's booking",
        )
        ids = {
            user: booking
            for user, booking in map(tuple, bot.rows("SELECT user_id, id FROM bookings"))
        }
        # Staff confirm both from their cards.
        for booking_id in ids.values():
            await step(
                fake,
                lambda booking_id=booking_id: staff.press(f"book:confirm:{booking_id}"),
                lambda booking_id=booking_id: (
                    bot.scalar("SELECT status FROM bookings WHERE id = ?", (booking_id,))
                    == "confirmed"
                ),
                "confirmed",
            )
        # A forged cancel of the winner's booking by the loser: refused, nothing changes.
        forged = loser.press_on(loser.messages()[-1]["message_id"], f"book:cancel:{ids[winner]}")
        query_id = forged["callback_query"]["id"]
        await fake.wait_for(lambda: fake.callback_queries[query_id]["answered"], what="forged")
        assert fake.callback_queries[query_id]["answer"] == "您没有权限进行此操作。"
        assert bot.scalar("SELECT COUNT(*) FROM bookings WHERE status = 'confirmed'") == 2
        assert await bot.stop() == 0

        # Tuesday 09:05: the winner's hour reminder, once; staff mark yesterday's no-show.
        await bot.start(GRIDDESK_CLOCK_OFFSET=offset_to(TUESDAY))
        winner_user = a if winner == RESIDENT_A else b
        await fake.wait_for(
            lambda: any("⏰" in t for t in winner_user.texts()), what="the hour reminder"
        )
        await step(
            fake,
            lambda: staff.send_text("/bookings"),
            lambda: "book:day:20261207:0" in staff.buttons(),
            "today's list",
        )
        loser_booking = ids[loser.id]
        await step(
            fake,
            lambda: staff.press("book:day:20261207:0"),
            lambda: f"book:noshow:{loser_booking}" in staff.buttons(),
            "yesterday's list",
        )
        await step(
            fake,
            lambda: staff.press(f"book:noshow:{loser_booking}"),
            lambda: (
                bot.scalar("SELECT attendance FROM bookings WHERE id = ?", (loser_booking,))
                == "no_show"
            ),
            "the no-show",
        )
        await choose(fake, loser, "20261208", "1400", "练字")
        await step(
            fake,
            lambda: loser.press("bknew:ok"),
            lambda: any("今年爽约 1 次" in t for t in fake.texts(COMMUNITY)),
            "the next card shows the no-show",
        )
        assert sum("⏰" in t for t in winner_user.texts()) == 1
        assert fake.violations == []
        assert await bot.stop() == 0
    finally:
        await bot.close()
