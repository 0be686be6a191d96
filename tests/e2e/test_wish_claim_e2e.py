"""End to end: two volunteers press "claim" on the same wish at the same moment; the real bot
process gives it to exactly one of them, and only that one sees the resident's contact."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.wishes import post_and_approve, seed
from tests.fakebotapi import FakeBotApi

RESIDENT, WORKER_G1 = 5001, 101
VOLUNTEER_A, VOLUNTEER_B = 6001, 6002
PHONE = "13700001111"


async def test_two_volunteers_claim_the_same_wish_at_the_same_moment_and_exactly_one_wins(
    fake: FakeBotApi, tmp_path: Path
):
    resident, worker = fake.user(RESIDENT, "王奶奶"), fake.user(WORKER_G1, "李网格")
    a, b = fake.user(VOLUNTEER_A, "甲"), fake.user(VOLUNTEER_B, "乙")
    bot = Griddesk(fake, tmp_path, sweep_interval=5)
    try:
        await bot.start()
        for user in (resident, worker, a, b):
            user.send_text("/start")
        await fake.wait_for(lambda: all(u.texts() for u in (resident, worker, a, b)), what="hi")
        assert await bot.stop() == 0
        await seed(
            bot.location,
            RESIDENT,
            PHONE,
            [(VOLUNTEER_A, "B1", "repair"), (VOLUNTEER_B, "B2", "repair")],
        )
        await bot.start()
        await post_and_approve(
            fake,
            resident,
            worker,
            "家里水龙头漏水，想请人帮忙修一下",
            lambda: (
                any(d.startswith("wish:claim:") for d in a.buttons())
                and any(d.startswith("wish:claim:") for d in b.buttons())
            ),
        )

        # Both tap at once: the two callback queries arrive in the same getUpdates batch.
        a.press("wish:claim:")
        b.press("wish:claim:")
        await bot.wait_db(
            lambda g: (
                g.scalar("SELECT COUNT(*) FROM inbox WHERE state != 'done'") == 0
                and g.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')")
                == 0
            ),
            what="both presses processed and every message sent",
        )
        rows = bot.rows("SELECT status, claimer_id FROM wishes")
        assert [(r["status"], r["claimer_id"] in (VOLUNTEER_A, VOLUNTEER_B)) for r in rows] == [
            ("claimed", True)
        ]
        assert bot.scalar("SELECT COUNT(*) FROM wish_events WHERE action = 'claim'") == 1
        winner, loser = (a, b) if rows[0]["claimer_id"] == VOLUNTEER_A else (b, a)
        assert any(PHONE in text for text in winner.texts())
        assert not any(PHONE in text for text in loser.texts())
        assert any("其他志愿者认领" in text for text in loser.texts())
        assert await bot.stop() == 0
    finally:
        await bot.close()
