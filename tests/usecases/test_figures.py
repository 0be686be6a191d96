"""bot/usecases/figures.py on a real SQLite file: a unit's figures read through its own subtree
(0022) are the whole office's figures at that unit, for every unit and period, and a finished
period is judged once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.summary import IsoWeek, roll_up, roll_up_counts
from bot.domain.volunteers import subtree
from bot.services import Services
from bot.usecases import appraisal, figures, reports
from bot.usecases.figures import Period
from bot.usecases.results import Done
from tests.conftest import ADMIN, COMMUNITY, RESIDENT_2
from tests.fakes import FakeClock
from tests.usecases.test_appraisal import WORKER_G1, file, november

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai


async def three_months(services: Services, clock: FakeClock) -> None:
    """October and December reports around test_appraisal's November, at several units."""
    clock.now = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
    for unit in ("B1", "B2", "B3", "C1"):
        await file(services, unit, "road")
    await november(services, clock)
    clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    done = await file(services, "B1", "litter", RESIDENT_2)
    await reports.accept(services, done, by=WORKER_G1, at=clock.advance(minutes=15))
    await reports.resolve(
        services, done, by=WORKER_G1, at=clock.advance(hours=2), photo="a", note="调解好了"
    )
    await reports.verify(services, done, by=RESIDENT_2, at=clock.advance(hours=1), stars=4)
    await file(services, "B3")
    await reports.escalate_due(services, NOW - timedelta(hours=1))
    clock.now = NOW


async def whole_office(services: Services, when: figures.Span) -> tuple[dict, dict, dict]:
    """The figures as /figures read them before 0022: the whole office's, every time."""
    tree = await services.units.tree()
    judged = await appraisal.judge(
        services, "whole", when.start, when.end, at=when.as_of, units=None, tree=tree
    )
    raw = await services.store.summaries.week_tallies(when.start, when.end, when.as_of)
    weeks = {}
    week = IsoWeek.containing(when.start, services.tz)
    while week <= IsoWeek.containing(when.as_of - timedelta(microseconds=1), services.tz):
        start = max(week.start(services.tz), when.start)
        end = min(week.end(services.tz), when.as_of)
        weeks[week] = roll_up_counts(await services.store.summaries.week_counts(start, end), tree)
        week = week.next()
    return judged.rolled, roll_up(raw, tree), weeks


@pytest.mark.parametrize("period", list(Period))
async def test_every_units_figures_are_the_whole_offices_at_that_unit(
    services: Services, clock: FakeClock, period: Period
):
    await three_months(services, clock)
    tree = await services.units.tree()
    when = figures.span(period, NOW, services)
    rolled, tallies, weeks = await whole_office(services, when)
    assert rolled["S1"].submitted >= 2 and rolled["S1"].received > rolled["S1"].concluded > 0

    for code in subtree("S1", tree):
        for _ in range(2):  # computed, then (a finished period) from the caches
            page = await figures.figures(services, by=ADMIN, unit=code, period=period, at=NOW)
            assert isinstance(page, Done)
            shown = page.value
            for line in (shown.unit, *shown.below):
                assert line.figures == rolled[line.unit.code], (code, line.unit.code)
                assert line.tally == tallies[line.unit.code], (code, line.unit.code)
            assert [(b.new, b.closed) for b in shown.weeks] == [
                weeks[b.week].get(code, (0, 0)) for b in shown.weeks
            ]
            assert [b.week for b in shown.weeks] == list(weeks)


async def test_a_finished_month_is_judged_once_per_unit_and_a_running_one_every_time(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    await three_months(services, clock)
    first = await figures.figures(
        services, by=COMMUNITY, unit=None, period=Period.LAST_MONTH, at=NOW
    )
    month = await figures.figures(services, by=COMMUNITY, unit=None, period=Period.MONTH, at=NOW)
    assert isinstance(first, Done) and isinstance(month, Done)
    reads = []
    histories = services.store.appraisals.histories
    tallies = services.store.summaries.week_tallies

    def counted(name, method):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            reads.append(name)
            return method(*args, **kwargs)

        return call

    monkeypatch.setattr(services.store.appraisals, "histories", counted("histories", histories))
    monkeypatch.setattr(services.store.summaries, "week_tallies", counted("tallies", tallies))

    again = await figures.figures(
        services, by=COMMUNITY, unit=None, period=Period.LAST_MONTH, at=NOW
    )
    assert isinstance(again, Done) and again.value == first.value
    assert reads == []
    await file(services, "B1")  # this month runs on: a new report counts at once
    later = await figures.figures(services, by=COMMUNITY, unit=None, period=Period.MONTH, at=NOW)
    assert isinstance(later, Done)
    assert reads == ["histories", "tallies"]
    assert later.value.unit.figures.submitted == month.value.unit.figures.submitted + 1
