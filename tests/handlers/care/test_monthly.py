"""/monthly: a unit's month for its staff — reports new and closed, visits done and missed per
kind, patrols per worker — counted in the unit and below only."""

from datetime import UTC, datetime

from bot.app import SWEEPS
from bot.domain import care, patrols
from bot.domain import reports as report_domain
from bot.domain.care import Outcome, Visit, VisitorKind
from bot.domain.patrols import PatrolKind
from bot.domain.reports import RejectReason
from bot.jobs import run_sweeps
from bot.usecases.care import care_policy
from bot.usecases.reports import save_move, submit
from storage.patrols import Patrols
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.care.support import (
    SIBLING_COMMUNITY,
    WORKER_G3,
    add_household,
    config_path,  # noqa: F401  (the office with a sibling community)
    households,
)


async def report_at(harness, unit):
    return await submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit=unit,
        description="垃圾没人清运",
        photos=["p1"],
    )


async def patrol(harness, worker_id, unit, kind=PatrolKind.PATROL):
    staff = await harness.services.people.staff(worker_id)
    tree = await harness.services.units.tree()
    logged = patrols.log(
        worker=staff,
        kind=kind,
        unit=unit,
        at=harness.clock(),
        note="",
        photos=[],
        findings=[],
        tree=tree,
    )
    await Patrols(harness.services.store.db).create(logged, lambda p: [], clear_draft_of=worker_id)


async def visit(harness, household, outcome):
    record = Visit(household.id, 101, VisitorKind.STAFF, harness.clock(), outcome, household.due_on)
    after = care.log_visit(household, record, care_policy(harness.services))
    await households(harness).log_visit(household, after, record, lambda v: [], clear_draft_of=0)


async def test_monthly_figures_cover_the_unit_and_below_for_the_month(harness):
    first = await report_at(harness, "B1")
    await report_at(harness, "B3")
    await report_at(harness, "B4")  # the sibling community's
    staff = await harness.services.people.staff(WORKER_G1)
    rejected, event = report_domain.reject(
        first, staff, harness.clock(), reason=RejectReason.DUPLICATE, note="重复"
    )
    await save_move(harness.services, first, rejected, event)
    lonely = await add_household(harness, unit="B1")
    await visit(harness, lonely, Outcome.MET)
    sick = await add_household(harness, unit="B3", kind="illness")
    await patrol(harness, WORKER_G1, "B1")
    await patrol(harness, WORKER_G1, "B2", PatrolKind.DOORKNOCK)
    await patrol(harness, WORKER_G2, "B3")
    await patrol(harness, WORKER_G3, "B4")
    # The illness household's visit goes missed on 2026-12-04 (weekly, due 12-01): December.
    harness.clock.now = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    await run_sweeps(harness.services, SWEEPS)
    assert [a for a, _ in await households(harness).events(sick.id)][-1] == "miss"

    await harness.send(updates.text(COMMUNITY, "/monthly 2026-11"))
    november = harness.last_text(COMMUNITY)
    assert "2026-11" in november
    assert "新增 2 件，办结 1 件" in november  # B4 is not 春晖社区's
    assert "空巢：走访 1 次（见到本人 1），逾期 0 次" in november
    assert "重病" not in november
    assert "李网格：2 次（二巡查 1，叮咚敲门 1）" in november
    assert "王网格：1 次（二巡查 1）" in november
    assert "孙网格" not in november

    await harness.send(updates.text(COMMUNITY, "/monthly"))  # this month: December
    december = harness.last_text(COMMUNITY)
    assert "2026-12" in december and "新增 0 件，办结 0 件" in december
    assert "重病：走访 0 次（见到本人 0），逾期 1 次" in december

    await harness.send(updates.text(WORKER_G2, "/monthly 2026-11"))
    grid = harness.last_text(WORKER_G2)
    assert "新增 1 件" in grid and "李网格" not in grid and "王网格：1 次" in grid

    await harness.send(updates.text(SIBLING_COMMUNITY, "/monthly 2026-11"))
    sibling = harness.last_text(SIBLING_COMMUNITY)
    assert "新增 1 件，办结 0 件" in sibling and "孙网格：1 次" in sibling
    assert "李网格" not in sibling


async def test_monthly_is_for_staff_and_wants_a_real_month(harness):
    await harness.send(updates.text(RESIDENT, "/monthly"))
    assert "仅限网格工作人员" in harness.last_text(RESIDENT)
    await harness.send(updates.text(COMMUNITY, "/monthly 2026-13"))
    assert "YYYY-MM" in harness.last_text(COMMUNITY)


async def test_monthly_speaks_english_to_english_staff(harness):
    await harness.send(updates.text(COMMUNITY, "/lang en"))
    await harness.send(updates.text(COMMUNITY, "/monthly 2026-11"))
    text = harness.last_text(COMMUNITY)
    assert "Reports" in text and "0 new, 0 closed" in text
