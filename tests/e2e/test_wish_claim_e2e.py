"""End to end: two volunteers press "claim" on the same wish at the same moment; the real bot
process gives it to exactly one of them, and only that one sees the resident's contact."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.volunteers import Volunteer, VolunteerStatus
from storage.db import Database
from storage.people import People
from storage.volunteers import Volunteers
from tests.e2e.harness import Griddesk
from tests.fakebotapi import FakeBotApi

RESIDENT, WORKER_G1 = 5001, 101
VOLUNTEER_A, VOLUNTEER_B = 6001, 6002
PHONE = "13700001111"


async def seed(path: Path) -> None:
    """The resident's place and phone, and two approved repair volunteers near them."""
    db = await Database(path).open()
    try:
        now = datetime.now(UTC)
        await People(db).update(RESIDENT, now, unit="B1", phone=PHONE)
        volunteers = Volunteers(db)
        for user_id, unit in ((VOLUNTEER_A, "B1"), (VOLUNTEER_B, "B2")):
            v = Volunteer(user_id, f"志愿者{user_id}", unit, skills=("repair",), phone="139")
            await volunteers.register(v, now, [])
            await volunteers.decide(replace(v, status=VolunteerStatus.APPROVED), now, [])
    finally:
        await db.close()


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
        await seed(bot.db_path)
        await bot.start()

        async def step(action, until, what: str) -> None:  # type: ignore[no-untyped-def]
            action()
            await fake.wait_for(until, timeout=60, what=what)

        await step(
            lambda: resident.send_text("/wish"),
            lambda: "微心愿" in resident.last_text(),
            "the wish prompt",
        )
        await step(
            lambda: resident.send_text("家里水龙头漏水，想请人帮忙修一下"),
            lambda: "照片" in resident.last_text(),
            "the photo prompt",
        )
        await step(
            lambda: resident.send_text("跳过"),
            lambda: "wishnew:kind:repair" in resident.buttons(),
            "the kinds",
        )
        await step(
            lambda: resident.press("wishnew:kind:repair"),
            lambda: "wishnew:post" in resident.buttons(),
            "the summary",
        )
        await step(
            lambda: resident.press("wishnew:post"),
            lambda: any(d.startswith("wish:ok:") for d in worker.buttons()),
            "the review",
        )
        await step(
            lambda: worker.press("wish:ok:"),
            lambda: (
                any(d.startswith("wish:claim:") for d in a.buttons())
                and any(d.startswith("wish:claim:") for d in b.buttons())
            ),
            "the offers",
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
