"""Issue 9 item 7: after downtime one sweep pass runs the deadline sweep before the weekly
summary; a report overdue at the summary's moment still counts as overdue in it, though the
same pass escalated it onto a new clock a moment earlier."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.app import SWEEPS
from bot.domain.groups import Binding, Purpose
from bot.jobs import run_sweeps
from bot.services import Services
from bot.usecases.reports import submit
from tests.conftest import RESIDENT
from tests.fakes import FakeClock

GROUP = -100900


async def test_a_report_escalated_by_the_same_pass_still_counts_overdue_in_the_summary(
    services: Services, clock: FakeClock
):
    names = [name for name, _ in SWEEPS]
    assert names.index("report_deadlines") < names.index("summaries")
    binding = Binding(GROUP, "C1", Purpose.SUMMARY, 201, datetime(2026, 11, 1, tzinfo=UTC))
    await services.store.groups.bind(binding, [])
    report = await submit(  # Tue 24 Nov 10:00: 2 working hours to accept, due 12:00
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道里堆满了杂物",
        photos=["p1"],
    )
    # Down from Tuesday until Monday 30 Nov 09:30, past the 09:00 summary of 23–29 Nov.
    clock.now = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    results = await run_sweeps(services, SWEEPS)
    assert results["report_deadlines"] >= 1 and results["summaries"] == 1
    moved = await services.reports.get(report.id or 0)
    assert moved is not None and moved.tier.value == "community"  # escalated at 09:30
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? AND method = 'sendMessage'", (GROUP,)
    )
    [summary] = [json.loads(row[0])["text"] for row in rows]
    assert "超期未办 1 件" in summary
