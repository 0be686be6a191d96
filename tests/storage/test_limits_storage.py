"""Reports counted for the flood limits, on a real SQLite file: whose, and since when."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import reports as domain
from tests.storage.test_reports_storage import AT, RESIDENT, new, reports  # noqa: F401


async def nothing(report):
    return []


async def test_a_reporters_reports_are_counted_from_a_point_in_time(reports):  # noqa: F811
    for minutes in (0, 30, 59, 61):
        at = AT + timedelta(minutes=minutes)
        report = new(at)
        await reports.create(report, domain.submit(report, actor_id=RESIDENT, at=at), nothing)
    other = new(AT, reporter_id=5002)
    await reports.create(other, domain.submit(other, actor_id=5002, at=AT), nothing)
    proxy = new(AT, reporter_id=None, entered_by=101)
    await reports.create(proxy, domain.submit(proxy, actor_id=101, at=AT), nothing)

    now = AT + timedelta(minutes=61)
    assert await reports.count_by_reporter_since(RESIDENT, now - timedelta(hours=1)) == 3
    assert await reports.count_by_reporter_since(RESIDENT, now - timedelta(days=1)) == 4
    assert await reports.count_by_reporter_since(RESIDENT, now) == 0
    assert await reports.count_by_reporter_since(5002, now - timedelta(days=1)) == 1
    assert await reports.count_by_reporter_since(101, now - timedelta(days=1)) == 0
