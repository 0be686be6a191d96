"""End to end: a 五必访 visit missed while the real bot process was down escalates to the
community exactly once, however often the bot is restarted afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain import care
from bot.domain.care import Cadence, CarePolicy, VisitorKind
from storage.care import Households
from storage.db import Database
from tests.e2e.harness import Griddesk
from tests.fakebotapi import FakeBotApi

COMMUNITY = 201
WORKER_G1 = 101
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def register_household(path: Path | str) -> None:
    db = await Database(path).open()
    try:
        household = care.register(
            kind="empty_nest",
            unit="B1",
            label="3单元502",
            cadence=Cadence.WEEKLY,
            visitor_id=WORKER_G1,
            visitor_kind=VisitorKind.STAFF,
            notes="独居，行动不便",
            by=COMMUNITY,
            at=datetime.now(UTC),
            policy=CarePolicy(tz=SHANGHAI),
        )
        await Households(db).create(household, [], clear_draft_of=COMMUNITY)
    finally:
        await db.close()


def offset_to(days: int) -> str:
    """Returns the clock offset (seconds) that puts the bot DAYS ahead, at 10:00 in Shanghai,
    outside quiet hours whatever the time the test runs."""
    now = datetime.now(UTC)
    target_day = now.astimezone(SHANGHAI).date() + timedelta(days=days)
    target = datetime.combine(target_day, time(10, 0), tzinfo=SHANGHAI)
    return str((target - now).total_seconds())


async def test_a_visit_missed_while_the_bot_was_down_escalates_exactly_once_after_restarts(
    fake: FakeBotApi, tmp_path: Path
):
    community, worker = fake.user(COMMUNITY, "陈社区"), fake.user(WORKER_G1, "李网格")
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    try:
        await bot.start()
        worker.send_text("/start")
        community.send_text("/start")
        await fake.wait_for(lambda: worker.texts() and community.texts(), what="the welcomes")

        assert await bot.stop() == 0
        # Community staff registered a weekly household in 1栋, visited by the grid worker
        # (the chat flow is covered by tests/handlers/care/test_households.py).
        await register_household(bot.location)
        assert bot.scalar("SELECT COUNT(*) FROM households") == 1

        # Down for three weeks: the reminder, due date, grace and nags all pass unseen.
        await bot.start(GRIDDESK_CLOCK_OFFSET=offset_to(21))
        await fake.wait_for(
            lambda: any("五必访逾期上报" in text for text in community.texts()),
            timeout=60,
            what="the escalation to the community",
        )
        await bot.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM outbox WHERE state != 'sent'") == 0,
            what="the outbox drained",
        )
        await bot.kill()  # no clean shutdown this time

        for extra_minutes in (1, 2):
            await bot.start(GRIDDESK_CLOCK_OFFSET=str(float(offset_to(21)) + 60 * extra_minutes))
            # Long polls are 2 s apart and sweeps 1 s: two more polls span several sweep passes.
            polls = len(fake.calls_of("getUpdates"))
            await fake.wait_for(
                lambda: len(fake.calls_of("getUpdates")) >= polls + 2,  # noqa: B023
                timeout=60,
                what="a few sweep passes on the restarted bot",
            )
            assert await bot.stop() == 0

        escalations = [t for t in community.texts() if "五必访逾期上报" in t]
        assert len(escalations) == 1
        assert "3单元502" in escalations[0] and "独居" not in escalations[0]
        to_worker = [t for t in worker.texts() if "3单元502" in t]
        assert len(to_worker) == 1  # one "overdue and escalated" — no burst of stale nags
        assert "已上报社区" in to_worker[-1]
        events = bot.rows("SELECT action FROM household_events ORDER BY id")
        assert [row["action"] for row in events] == ["register", "escalate"]
        chats = {row["chat_id"] for row in bot.rows("SELECT chat_id FROM outbox")}
        assert all(chat > 0 for chat in chats)  # never a group
    finally:
        await bot.close()
        print(bot.log_tail(120))
