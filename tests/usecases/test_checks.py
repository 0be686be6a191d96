"""核实 and 复查 (bot/usecases/checks.py) on a real SQLite file: every way in and out of CHECKING
and REVIEWING, the refusals, and the sweep's one step per report."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.access import Rule
from bot.domain.reports import Action, Status
from bot.services import Services
from bot.usecases import checks
from bot.usecases.reports import accept, escalate_due, resolve, submit, verify
from bot.usecases.results import Done, Refused
from tests.conftest import ADMIN, COMMUNITY, HEAD_G1, RESIDENT, STREET, WORKER_G1, WORKER_G2
from tests.usecases.support import refusals, sent_to


async def flags(services: Services, *, verify: bool = False, review: bool = False) -> None:
    async with services.store.db.transaction() as conn:
        await conn.execute(
            "UPDATE categories SET verify = ?, review = ? WHERE code = 'litter'",
            (int(verify), int(review)),
        )
    services.units.invalidate()


async def new_report(services: Services):
    return await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道里堆满了杂物",
        photos=["before-1"],
    )


async def actions(services: Services, report_id: int) -> list[Action]:
    return [e.action for e in await services.reports.events(report_id)]


async def test_a_category_without_flags_is_dispatched_and_resolved_as_before(services: Services):
    report = await new_report(services)
    assert report.status is Status.OPEN and report.assignee_id == WORKER_G1
    done = await resolve(
        services, report.id, by=WORKER_G1, at=services.clock(), photo="a", note="n"
    )
    assert isinstance(done, Done) and done.value.status is Status.RESOLVED


async def test_a_verified_category_waits_for_the_grid_worker_then_is_dispatched(
    services: Services,
):
    await flags(services, verify=True)
    report = await new_report(services)
    assert report.status is Status.CHECKING
    assert (report.holder_unit, report.assignee_id) == ("G1", None)
    assert report.timer is not None and report.timer.window.value == "check"
    card = [p for p in await sent_to(services, WORKER_G1) if "check:ok:" in p]
    assert card, "the grid worker gets the check card"
    assert not [p for p in await sent_to(services, RESIDENT) if "report:solved" in p]

    # Someone else's grid, the community, a second press after the first: nothing moves.
    other = await checks.confirm_check(services, report.id, by=WORKER_G2, at=services.clock())
    assert isinstance(other, Refused) and other.key == "verify.not_verifier"
    assert (WORKER_G2, "check:ok", Rule.REPORT_CHECK.value, f"report:{report.id}") in (
        await refusals(services)
    )
    done = await checks.confirm_check(services, report.id, by=WORKER_G1, at=services.clock())
    assert isinstance(done, Done) and done.value.status is Status.OPEN
    assert done.value.assignee_id == WORKER_G1 and done.value.timer.window.value == "accept"
    again = await checks.confirm_check(services, report.id, by=WORKER_G1, at=services.clock())
    assert isinstance(again, Refused) and again.key == "verify.done"
    assert await actions(services, report.id) == [Action.SUBMIT, Action.CHECK_CONFIRM]
    assert any("现场核实属实" in p for p in await sent_to(services, RESIDENT))


async def test_not_a_problem_closes_the_report_as_rejected_and_tells_the_reporter(
    services: Services,
):
    await flags(services, verify=True)
    report = await new_report(services)
    done = await checks.dismiss_check(
        services, report.id, by=WORKER_G1, at=services.clock(), note="已清理，无杂物"
    )
    assert isinstance(done, Done) and done.value.status is Status.REJECTED
    assert done.value.reject_reason == "invalid" and done.value.timer is None
    told = await sent_to(services, RESIDENT)
    assert any("感谢您的反映" in p and "已清理，无杂物" in p for p in told)


async def test_the_check_clock_reminds_once_then_dispatches_unverified_after_downtime(
    services: Services,
):
    await flags(services, verify=True)
    report = await new_report(services)
    assert report.timer is not None and report.timer.breach_at is not None
    # Days later (the bot was down): one step, the most advanced — dispatched, not nagged.
    later = report.timer.breach_at + timedelta(days=2)
    assert await escalate_due(services, later) == 1
    moved = await services.reports.get(report.id)
    assert moved.status is Status.OPEN and moved.assignee_id == WORKER_G1
    assert await actions(services, report.id) == [Action.SUBMIT, Action.CHECK_LAPSE]
    assert await escalate_due(services, later) == 0


async def test_a_reviewed_category_waits_for_a_reviewer_who_is_never_the_resolver(
    services: Services,
):
    await flags(services, review=True)
    report = await new_report(services)
    now = services.clock()
    await accept(services, report.id, by=WORKER_G1, at=now)
    done = await resolve(services, report.id, by=WORKER_G1, at=now, photo="after", note="清走了")
    assert isinstance(done, Done) and done.value.status is Status.REVIEWING
    assert done.value.timer.window.value == "review"
    assert not [p for p in await sent_to(services, RESIDENT) if "report:solved" in p]
    assert any("review:ok:" in p for p in await sent_to(services, HEAD_G1))

    # The reporter's forged "solved" and the resolver's own review change nothing.
    forged = await verify(services, report.id, by=RESIDENT, at=now, stars=5)
    assert isinstance(forged, Refused) and forged.key == "verify.not_now"
    own = await checks.pass_review(services, report.id, by=WORKER_G1, at=now)
    assert isinstance(own, Refused) and own.key == "verify.own_work"
    assert (await services.reports.get(report.id)).status is Status.REVIEWING

    failed = await checks.fail_review(services, report.id, by=HEAD_G1, at=now, note="楼梯口还有")
    assert isinstance(failed, Done) and failed.value.status is Status.ACCEPTED
    assert failed.value.assignee_id == WORKER_G1 and failed.value.timer.window.value == "resolve"
    assert any("楼梯口还有" in p for p in await sent_to(services, WORKER_G1))

    again = await resolve(services, report.id, by=WORKER_G1, at=now, photo="after2", note="好了")
    assert isinstance(again, Done) and again.value.status is Status.REVIEWING
    passed = await checks.pass_review(services, report.id, by=COMMUNITY, at=now)
    assert isinstance(passed, Done) and passed.value.status is Status.RESOLVED
    assert any("report:solved" in p for p in await sent_to(services, RESIDENT))
    closed = await verify(services, report.id, by=RESIDENT, at=now, stars=5)
    assert isinstance(closed, Done) and closed.value.status is Status.CLOSED
    assert await actions(services, report.id) == [
        Action.SUBMIT,
        Action.ACCEPT,
        Action.RESOLVE,
        Action.REVIEW_FAIL,
        Action.RESOLVE,
        Action.REVIEW_PASS,
        Action.CONFIRM,
    ]


async def test_a_supervisor_who_resolved_it_cannot_review_it(services: Services):
    await flags(services, review=True)
    report = await new_report(services)
    now = services.clock()
    done = await resolve(services, report.id, by=HEAD_G1, at=now, photo="after", note="我处理了")
    assert isinstance(done, Done) and done.value.status is Status.REVIEWING
    own = await checks.pass_review(services, report.id, by=HEAD_G1, at=now)
    assert isinstance(own, Refused) and own.key == "verify.own_work"
    assert (HEAD_G1, "review:ok", Rule.REPORT_REVIEW.value, f"report:{report.id}") in (
        await refusals(services)
    )
    # The grid head resolved it: the review goes to the community above.
    assert any("review:ok:" in p for p in await sent_to(services, COMMUNITY))
    assert not any("review:ok:" in p for p in await sent_to(services, HEAD_G1))


async def test_a_late_review_goes_to_the_reviewers_one_level_up_once(services: Services):
    await flags(services, review=True)
    report = await new_report(services)
    now = services.clock()
    done = await resolve(services, report.id, by=WORKER_G1, at=now, photo="after", note="好了")
    assert isinstance(done, Done) and done.value.timer.breach_at is not None
    later = done.value.timer.breach_at + timedelta(hours=1)
    assert await escalate_due(services, later) == 1
    moved = await services.reports.get(report.id)
    assert moved.status is Status.REVIEWING and moved.extra["review_at"] == "C1"
    assert any("review:ok:" in p for p in await sent_to(services, COMMUNITY))
    assert await actions(services, report.id) == [
        Action.SUBMIT,
        Action.RESOLVE,
        Action.REVIEW_ESCALATE,
    ]
    assert await escalate_due(services, later) == 0
    waiting = await checks.waiting_for(services, COMMUNITY)
    assert [r.id for r in waiting] == [report.id]
    assert await checks.waiting_for(services, WORKER_G1) == []
    assert [r.id for r in await checks.waiting_for(services, STREET)] == [report.id]
    assert [r.id for r in await checks.waiting_for(services, ADMIN)] == [report.id]


async def test_the_ledger_figures_overview_and_weekly_tallies_take_the_new_statuses(
    services: Services,
):
    from bot.domain.ledger import Period as LedgerPeriod
    from bot.usecases import figures, ledger, overview
    from bot.usecases.figures import Period

    await flags(services, verify=True, review=True)
    now = services.clock()
    checking = await new_report(services)
    dispatched = await new_report(services)
    await checks.confirm_check(services, dispatched.id, by=WORKER_G1, at=now)
    await resolve(services, dispatched.id, by=WORKER_G1, at=now, photo="after", note="好了")
    dismissed = await new_report(services)
    await checks.dismiss_check(services, dismissed.id, by=WORKER_G1, at=now, note="无此事")
    assert (await services.reports.get(checking.id)).status is Status.CHECKING
    assert (await services.reports.get(dispatched.id)).status is Status.REVIEWING

    day = now.date()
    built = await ledger.build(services, "C1", LedgerPeriod(day, day), "zh", at=now)
    assert built is not None
    from tests.usecases.test_ledger import sheet_rows

    rows = sheet_rows(built.data, "案件")
    status_at = rows[0].index("状态")
    assert sorted(row[status_at] for row in rows[1:]) == sorted(["待核实", "待复查", "已退回"])
    page = await figures.figures(services, by=COMMUNITY, unit=None, period=Period.MONTH, at=now)
    assert isinstance(page, Done)
    home = await overview.home(services, by=COMMUNITY, at=now, lang="zh")
    assert isinstance(home, Done)
    tallies = await services.store.summaries.week_tallies(
        now - timedelta(days=1), now + timedelta(days=1), now + timedelta(days=1)
    )
    assert tallies
