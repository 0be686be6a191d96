from bot.domain import reports as domain
from bot.domain.reports import Status
from bot.usecases.reports import save_move, submit
from tests.conftest import RESIDENT, WORKER_G1


async def test_a_submitted_report_reaches_the_grid_worker_and_the_reporter(harness):
    services = harness.services
    report = await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼下垃圾堆积",
        photos=["p1", "p2"],
    )
    await harness.deliver()
    assert report.assignee_id == WORKER_G1
    assert report.number in harness.texts_to(RESIDENT)[0]
    assert harness.request.sent("sendMediaGroup", WORKER_G1)
    assert harness.button(WORKER_G1, f"report:accept:{report.id}")

    staff = await services.people.staff(WORKER_G1)
    after, event = domain.accept(report, staff, services.clock())
    await save_move(services, report, after, event)
    await harness.deliver()
    stored = await services.reports.get(report.id)
    assert stored.status is Status.ACCEPTED
    assert [e.action for e in await services.reports.events(report.id)] == ["submit", "accept"]
    # The status card was edited in place, not sent twice.
    assert len(harness.request.sent("editMessageText", RESIDENT)) == 1


async def test_my_lists_reports_a_staff_member_entered_for_a_resident(harness):
    entered = await submit(
        harness.services,
        reporter_id=None,
        entered_by=WORKER_G1,
        category="road",
        unit="B2",
        description="路灯不亮，电话反映",
        photos=["p9"],
        contact="王阿姨 138",
    )
    mine = await harness.services.reports.by_reporter(WORKER_G1)
    assert [r.id for r in mine] == [entered.id]
    assert await harness.services.reports.by_reporter(RESIDENT) == []
