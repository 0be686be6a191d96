"""After downtime the sweep catches up with one step per report, however often and wherever run."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.app import open_services
from bot.jobs.reports import report_deadlines
from tests.conftest import COMMUNITY, RESIDENT, RESIDENT_2, WORKER_G1, WORKER_G2
from tests.jobs.test_report_deadlines import actions, local, new_report, stored


async def three_reports(harness) -> list:
    return [
        await new_report(harness, unit="B1", category="litter", reporter=RESIDENT),
        await new_report(harness, unit="B3", category="road", reporter=RESIDENT_2),
        await new_report(harness, unit="B2", category="road", reporter=RESIDENT),
    ]


def escalation_notices(harness, chat_id: int) -> int:
    return sum("超出办理时限" in text for text in harness.texts_to(chat_id))


async def test_six_hours_past_the_deadlines_each_report_is_escalated_exactly_once(harness):
    reports = await three_reports(harness)  # Tuesday 10:00, all due 12:00
    harness.clock.now = local("2026-11-24 18:00")  # the bot was down all afternoon
    seen = {chat: len(harness.texts_to(chat)) for chat in (WORKER_G1, WORKER_G2)}
    results = [await report_deadlines(harness.services, harness.clock()) for _ in range(3)]
    await harness.deliver()
    assert results == [3, 0, 0]
    for report in reports:
        assert await actions(harness, report) == ["submit", "escalate"]  # no stale nags
        after = await stored(harness, report)
        assert after.holder_unit == "C1"
        # The community's clock starts now; 18:00 is after hours, so it runs from Wednesday.
        assert after.due_at == local("2026-11-25 14:00")
    assert escalation_notices(harness, RESIDENT) == 2
    assert escalation_notices(harness, RESIDENT_2) == 1
    for chat in (WORKER_G1, WORKER_G2):
        texts = harness.texts_to(chat)[seen[chat] :]
        assert not any("⚠️" in text or "⏰" in text for text in texts)  # no nag, no reminder
    assert sum("升级至本级" in t for t in harness.texts_to(COMMUNITY)) == 3


async def test_a_restarted_bot_does_not_repeat_what_was_done_before_it_stopped(harness, settings):
    reports = await three_reports(harness)
    harness.clock.now = local("2026-11-24 18:00")
    assert await report_deadlines(harness.services, harness.clock()) == 3
    # A second process on the same database file, as after a restart.
    restarted = await open_services(settings, harness.clock)
    try:
        assert await report_deadlines(restarted, harness.clock()) == 0
        assert await report_deadlines(restarted, harness.clock()) == 0
    finally:
        await restarted.store.close()
    for report in reports:
        assert (await actions(harness, report)).count("escalate") == 1


async def test_two_instances_sweeping_at_once_escalate_each_report_once(harness, settings):
    reports = await three_reports(harness)
    harness.clock.now = local("2026-11-24 18:00")
    other = await open_services(settings, harness.clock)
    try:
        results = await asyncio.gather(
            report_deadlines(harness.services, harness.clock()),
            report_deadlines(other, harness.clock()),
            report_deadlines(harness.services, harness.clock()),
        )
    finally:
        await other.store.close()
    assert sum(results) == 3
    counts = Counter()
    for report in reports:
        counts.update(await actions(harness, report))
    assert counts == Counter({"submit": 3, "escalate": 3})
    await harness.deliver()
    assert escalation_notices(harness, RESIDENT) == 2


async def test_a_report_due_while_down_is_nagged_once_on_return_not_reminded_too(harness):
    report = await new_report(harness)
    harness.clock.now = local("2026-11-24 13:00")  # past the deadline, before the breach
    for _ in range(3):
        await report_deadlines(harness.services, harness.clock())
    assert await actions(harness, report) == ["submit", "nag"]
