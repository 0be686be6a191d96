"""The deadline sweep reads a batch's reports, people, cards and followers once per batch.

A pass of many due reports must cost a few statements per batch, not a dozen per report
(issue 11: 10,000 due steps took 16 s one report at a time): the reads of a pass that takes two
steps and of one that takes eight are the same statements.
"""

from __future__ import annotations

from typing import Any

from bot.jobs.reports import report_deadlines
from tests.jobs.test_report_deadlines import local, new_report


async def sweep_counted(harness, when: str, reads: list[str]) -> tuple[int, list[str]]:
    """Runs the deadline sweep at WHEN; returns its steps and the reads it made (sorted)."""
    harness.clock.now = local(when)
    reads.clear()
    acted = await report_deadlines(harness.services, harness.clock())
    made = sorted(reads)
    await harness.deliver()
    return acted, made


async def test_a_pass_reads_as_much_for_eight_due_reports_as_for_two(harness, monkeypatch):
    db: Any = harness.services.store.db
    reads: list[str] = []
    for name in ("fetchall", "fetchone"):
        original = getattr(type(db), name)

        async def counted(self: Any, sql: str, *args: Any, _original: Any = original) -> Any:
            reads.append(" ".join(sql.split())[:60])
            return await _original(self, sql, *args)

        monkeypatch.setattr(type(db), name, counted)

    for _ in range(2):
        await new_report(harness)
    harness.clock.now = local("2026-11-24 10:40")
    for _ in range(6):
        await new_report(harness)
    acted, first = await sweep_counted(harness, "2026-11-24 11:31", reads)
    assert acted == 2  # the first two's reminders
    acted, second = await sweep_counted(harness, "2026-11-24 16:00", reads)
    assert acted == 8  # every report's next step: reminders, nags, escalations
    assert second == first
