"""Up the tier ladder: "not solved" reopens one tier up on a new clock; who is told what."""

from __future__ import annotations

from bot.domain import reports as domain
from bot.domain.reports import Report, Status, Window
from bot.domain.units import Tier
from bot.usecases.reports import save_move
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, STREET, WORKER_G1
from tests.jobs.test_report_deadlines import actions, local, new_report, stored, sweep_at


async def resolved(harness, report: Report, by: int, at: str) -> Report:
    harness.clock.now = local(at)
    staff = await harness.services.people.staff(by)
    after, event = domain.resolve(report, staff, harness.clock(), photo="after-1", note="已处理")
    await save_move(harness.services, report, after, event)
    await harness.deliver()
    return await stored(harness, report)


async def not_solved(harness, report: Report, at: str) -> Report:
    harness.clock.now = local(at)
    await harness.send(updates.press(RESIDENT, f"report:unsolved:{report.id}"))
    return await stored(harness, report)


async def test_not_solved_sends_the_report_to_the_community_on_its_own_clock(harness):
    report = await new_report(harness)
    report = await resolved(harness, report, WORKER_G1, "2026-11-24 11:00")
    worker_seen = len(harness.texts_to(WORKER_G1))
    reopened = await not_solved(harness, report, "2026-11-24 15:00")
    assert (reopened.status, reopened.holder_unit, reopened.tier) == (
        Status.OPEN,
        "C1",
        Tier.COMMUNITY,
    )
    assert reopened.timer is not None and reopened.timer.window is Window.ACCEPT
    assert reopened.due_at == local("2026-11-25 10:00")  # the community's 4 working hours
    events = await harness.services.reports.events(report.id)
    assert events[-1].data == {"from_unit": "G1", "to_unit": "C1", "tier": "community"}
    # The community gets the photos, why it came, and a card to take it from.
    assert harness.request.sent("sendMediaGroup", COMMUNITY)
    assert any("仍未解决" in text for text in harness.texts_to(COMMUNITY))
    assert harness.button(COMMUNITY, f"report:accept:{report.id}")
    # The grid worker learns where it went; the reporter sees the new tier and deadline.
    assert any("社区" in t and "未解决" in t for t in harness.texts_to(WORKER_G1)[worker_seen:])
    status_card = harness.request.sent("editMessageText", RESIDENT)[-1].params["text"]
    assert "2026-11-25 10:00" in status_card and "社区" in status_card


async def test_not_solved_at_the_top_tier_stays_with_the_street(harness):
    report = await new_report(harness, unit="S1")  # the street is the top staffed tier here
    await harness.send(updates.press(STREET, f"report:accept:{report.id}"))
    report = await resolved(harness, await stored(harness, report), STREET, "2026-11-24 11:00")
    reopened = await not_solved(harness, report, "2026-11-24 15:00")
    assert (reopened.status, reopened.holder_unit, reopened.assignee_id) == (
        Status.OPEN,
        "S1",
        STREET,
    )
    assert reopened.timer is not None and reopened.timer.breach_at is None  # nowhere higher
    assert any("未解决" in text for text in harness.texts_to(STREET)[-3:])
    assert await actions(harness, report) == ["submit", "accept", "resolve", "reopen"]


async def test_a_reopened_report_escalates_further_when_the_community_misses_its_deadline(harness):
    report = await new_report(harness)
    report = await resolved(harness, report, WORKER_G1, "2026-11-24 11:00")
    await not_solved(harness, report, "2026-11-24 15:00")  # community: due Wed 10:00
    assert await sweep_at(harness, "2026-11-26 09:00") == 1
    escalated = await stored(harness, report)
    assert (escalated.holder_unit, escalated.tier) == ("S1", Tier.STREET)
    assert (await actions(harness, report))[-2:] == ["reopen", "escalate"]
    assert any("升级至本级" in text for text in harness.texts_to(STREET))
    assert any("无需再处理" in text for text in harness.texts_to(COMMUNITY))


async def test_a_confirmed_report_leaves_the_deadline_sweep(harness):
    report = await new_report(harness)
    report = await resolved(harness, report, WORKER_G1, "2026-11-24 11:00")
    await harness.send(updates.press(RESIDENT, f"report:stars:{report.id}:5"))
    closed = await stored(harness, report)
    assert closed.status is Status.CLOSED and closed.timer is None
    assert await sweep_at(harness, "2026-12-30 10:00") == 0
    assert await actions(harness, report) == ["submit", "resolve", "confirm"]


async def test_the_reporter_is_told_which_tier_accepted_after_escalation(harness):
    report = await new_report(harness)
    report = await resolved(harness, report, WORKER_G1, "2026-11-24 11:00")
    await not_solved(harness, report, "2026-11-24 15:00")
    seen = len(harness.texts_to(RESIDENT))
    await harness.send(updates.press(COMMUNITY, f"report:accept:{report.id}"))
    told = harness.texts_to(RESIDENT)[seen:]
    assert any("已由社区工作人员接单" in text for text in told)
    assert not any("网格员" in text for text in told)
