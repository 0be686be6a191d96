"""bot/usecases/appraisal.py on a real SQLite file, reports moved by the real use cases and the
real deadline sweep: a month's figures, then the same month reprinted after more moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services import Services
from bot.usecases import reports
from bot.usecases.appraisal import as_of, month_figures, show, unit_report
from bot.usecases.results import Done, Refused
from tests.conftest import RESIDENT, RESIDENT_2
from tests.fakes import FakeClock

WORKER_G1, WORKER_G2, HEAD_G1, COMMUNITY, STREET, PARTNER = 101, 102, 103, 201, 301, 401
NOVEMBER_END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 1 December 00:00 in Shanghai


async def file(services: Services, unit: str, category: str = "litter", who: int = RESIDENT) -> int:
    report = await reports.submit(
        services,
        reporter_id=who,
        entered_by=None,
        category=category,
        unit=unit,
        description="楼道堆放杂物",
        photos=["p1"],
    )
    assert report.id is not None
    return report.id


async def november(services: Services, clock: FakeClock) -> dict[str, int]:
    """Files and moves a month of reports at 第一网格 (G1) and 第二网格 (G2)."""
    clock.now = datetime(2026, 11, 3, 1, 30, tzinfo=UTC)  # Tue 09:30 in Shanghai
    quick = await file(services, "B1")
    await reports.accept(services, quick, by=WORKER_G1, at=clock.advance(minutes=30))
    await reports.resolve(
        services, quick, by=WORKER_G1, at=clock.advance(hours=3), photo="a", note="清理完毕"
    )
    await reports.verify(services, quick, by=RESIDENT, at=clock.advance(hours=2), stars=5)
    unhappy = await file(services, "B3", "road", RESIDENT_2)
    await reports.accept(services, unhappy, by=WORKER_G2, at=clock.advance(minutes=20))
    await reports.resolve(
        services, unhappy, by=WORKER_G2, at=clock.advance(hours=1), photo="a", note="已修"
    )
    await reports.verify(services, unhappy, by=RESIDENT_2, at=clock.advance(hours=1), stars=2)
    clock.now = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # Fri 09:30
    ignored = await file(services, "B3")  # nobody accepts it: the sweep escalates it
    slow = await file(services, "B1")
    await reports.accept(services, slow, by=WORKER_G1, at=clock.advance(minutes=10))
    for _ in range(40):  # the deadline sweep, every 3 hours to the month's end
        await reports.escalate_due(services, clock.advance(hours=3))
        if clock.now >= NOVEMBER_END - timedelta(hours=3):
            break
    return {"quick": quick, "unhappy": unhappy, "ignored": ignored, "slow": slow}


async def test_a_past_month_reprinted_after_more_moves_gives_the_same_figures(
    services: Services, clock: FakeClock
):
    ids = await november(services, clock)
    before = await month_figures(services, "2026-11", at=NOVEMBER_END)
    c1 = before.rolled["C1"]
    assert (c1.submitted, c1.received, c1.closed, c1.rated, c1.satisfied) == (4, 4, 2, 2, 1)
    assert c1.overdue >= 2  # `ignored` breached its accept window, `slow` its resolve window
    assert before.workers[WORKER_G1].closed == 1

    # December: everything still open is taken on and finished; the sweep keeps escalating.
    clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    for key in ("ignored", "slow"):
        report = await services.reports.get(ids[key])
        assert report is not None
        holder = STREET if report.tier.value != "grid" else WORKER_G1
        await reports.accept(services, ids[key], by=holder, at=clock.advance(minutes=5))
        await reports.resolve(
            services, ids[key], by=holder, at=clock.advance(minutes=5), photo="a", note="好了"
        )
    await reports.escalate_due(services, clock.advance(days=5))
    await file(services, "B1")  # a December report does not join November

    after = await month_figures(services, "2026-11", at=NOVEMBER_END)
    assert after.rolled == before.rolled
    assert after.workers == before.workers
    assert unit_report(services, after, "S1") == unit_report(services, before, "S1")
    # Judged now, November's reports look different: the figures did move on.
    now = await month_figures(services, "2026-11", at=clock.now)
    assert now.rolled["C1"].concluded > c1.concluded


async def test_appraisal_shows_worker_figures_only_to_their_supervisors(
    services: Services, clock: FakeClock
):
    await november(services, clock)
    clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    community = await show(services, COMMUNITY, "2026-11", at=clock.now)
    assert isinstance(community, Done)
    assert {w.staff.user_id for w in community.value.workers} == {WORKER_G1, WORKER_G2}
    assert community.value.report.as_of == NOVEMBER_END
    assert [s.unit.code for s in community.value.report.ranking] == ["G1", "G2"]
    worker = await show(services, WORKER_G1, "2026-11", at=clock.now)
    assert isinstance(worker, Done)
    assert [w.staff.user_id for w in worker.value.workers] == [WORKER_G1]
    assert worker.value.report.unit.code == "G1"


async def test_a_partner_or_resident_is_refused_and_recorded(services: Services, clock: FakeClock):
    for who in (PARTNER, RESIDENT):
        result = await show(services, who, "2026-11", at=clock.now)
        assert isinstance(result, Refused) and result.rule is not None
    rows = await services.store.db.fetchall("SELECT rule FROM refusals")
    assert [row[0] for row in rows] == ["appraisal_view", "appraisal_view"]


def test_a_running_month_is_judged_now_and_a_past_one_at_its_end(services: Services):
    now = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
    assert as_of(services, "2026-11", now) == now
    assert as_of(services, "2026-10", now) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)


async def test_a_communitys_own_look_matches_the_whole_offices_figures(
    services: Services, clock: FakeClock
):
    await november(services, clock)
    await file(services, "C1", "dispute")  # at the community itself
    clock.now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    scoped = await show(services, COMMUNITY, "2026-11", at=clock.now)  # reads C1's subtree only
    whole = await month_figures(services, "2026-11", at=NOVEMBER_END)
    assert isinstance(scoped, Done)
    assert scoped.value.report.figures == whole.rolled["C1"]
    again = await show(services, COMMUNITY, "2026-11", at=clock.now)  # now from the whole month
    assert isinstance(again, Done) and again.value == scoped.value


async def test_a_cached_month_shares_equal_sets_of_sighting_days_and_finds_the_same_hot_spots(
    services: Services,
):
    from datetime import date

    from bot.domain.appraisal import hot_spots
    from bot.usecases.appraisal import MonthData, _compact

    tree = await services.units.tree()
    data = MonthData("2026-11", NOVEMBER_END, NOVEMBER_END, NOVEMBER_END, tree)
    for category, place, day in [
        ("litter", "G1", 3), ("litter", "G1", 20), ("road", "G2", 3), ("road", "G2", 20),
        ("road", "G2", 20), ("litter", "G2", 20),
    ]:  # fmt: skip
        data.sightings.see(category, place, date(2026, 11, day))
    days = data.sightings.days

    def spots() -> list:
        return hot_spots(data.sightings, ["G1", "G2"], min_reports=2, min_days=2, count=5)

    before = spots()
    assert days[("litter", "G1")] is not days[("road", "G2")]
    _compact(data)
    assert days[("litter", "G1")] is days[("road", "G2")]  # {3, 20}: one set
    assert days[("litter", "G2")] == {date(2026, 11, 20)}
    assert spots() == before and len(before) == 2
