"""The bot stopped for "six hours" (GRIDDESK_CLOCK_OFFSET), then restarted twice: each overdue
report is escalated exactly once, by the database-driven deadline sweep."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.people import Drafts
from tests.fakebotapi import FakeBotApi

RESIDENTS = [7001, 7002, 7003]
STAFF = [101, 103, 201, 301, 901]  # they have started the bot, so they can be told
SIX_HOURS = str(6 * 3600)


def sweeps_since_last_start(griddesk: Griddesk) -> int:
    log = griddesk.log_path.read_text(errors="replace")
    return log.rsplit("===== start", 1)[-1].count('Job "sweeps')


async def test_after_six_hours_down_each_overdue_report_is_escalated_once_across_restarts(
    fake: FakeBotApi, tmp_path: Path
):
    griddesk = Griddesk(fake, tmp_path, sweep_interval=1)
    drafts = Drafts(griddesk)
    watcher = asyncio.create_task(drafts.watch())
    try:
        await griddesk.start()
        for staff_id in STAFF:
            fake.user(staff_id).send_text("/start")
        residents = [fake.user(uid) for uid in RESIDENTS]
        await asyncio.gather(*(drafts.register(user) for user in residents))
        # "safety" is urgent: its windows run on the wall clock (grid: 2 h to accept).
        for user in residents:
            await drafts.report(user, f"{user.id} 井盖缺失有人会掉下去", category="safety")
        await griddesk.wait_db(
            lambda g: g.scalar("SELECT COUNT(*) FROM reports WHERE tier = 'grid'") == 3,
            what="three reports at the grid",
        )
        await griddesk.wait_db(lambda g: sweeps_since_last_start(g) >= 2, what="two sweeps")
        assert escalations(griddesk) == []

        await griddesk.stop()
        await griddesk.start(GRIDDESK_CLOCK_OFFSET=SIX_HOURS)
        await griddesk.wait_db(lambda g: len(escalations(g)) >= 3, what="three escalations")
        await griddesk.wait_db(lambda g: sweeps_since_last_start(g) >= 2, what="more sweeps")
        for _ in range(2):  # restarted twice more, still six hours on
            await griddesk.stop()
            await griddesk.start(GRIDDESK_CLOCK_OFFSET=SIX_HOURS)
            await griddesk.wait_db(lambda g: sweeps_since_last_start(g) >= 2, what="sweeps")
    finally:
        watcher.cancel()
        await griddesk.close()
        print(griddesk.log_tail(200))

    reports = griddesk.rows("SELECT id FROM reports ORDER BY id")
    assert sorted(escalations(griddesk)) == sorted(r["id"] for r in reports)
    tiers = griddesk.rows("SELECT tier, holder_unit, status FROM reports")
    assert {(r["tier"], r["holder_unit"], r["status"]) for r in tiers} == {
        ("community", "C1", "open")
    }
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state != 'done'") == 0


def escalations(griddesk: Griddesk) -> list[int]:
    rows = griddesk.rows("SELECT report_id FROM report_events WHERE action = 'escalate'")
    return [row["report_id"] for row in rows]
