"""The reporter loop: solved → stars → comment closes the report; not solved reopens it."""

from __future__ import annotations

import json

from bot.domain import reports as domain
from bot.domain.reports import Report, Status
from bot.usecases.reports import save_move
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, RESIDENT_2, WORKER_G1
from tests.handlers.reports.test_submit_flow import last_answer, press, submitted_report


async def resolved_report(harness, reporter: int = RESIDENT) -> Report:
    """Reports through the resident flow, then the grid worker resolves it with an after-photo."""
    report = await submitted_report(harness, reporter)
    services = harness.services
    worker = await services.people.staff(WORKER_G1)
    after, event = domain.resolve(report, worker, services.clock(), photo="after-1", note="已清理")
    await save_move(services, report, after, event)
    await harness.deliver()
    return await stored(harness, report)


async def stored(harness, report: Report) -> Report:
    found = await harness.services.reports.get(report.id)
    assert found is not None
    return found


async def actions(harness, report: Report) -> list[str]:
    return [e.action.value for e in await harness.services.reports.events(report.id)]


async def test_the_reporter_gets_the_after_photo_with_solved_and_not_solved(harness):
    report = await resolved_report(harness)
    [photo] = harness.request.sent("sendPhoto", RESIDENT)
    assert photo.params["photo"] == "after-1"
    markup = photo.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    pressable = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    assert pressable == [f"report:solved:{report.id}", f"report:unsolved:{report.id}"]


async def test_solved_then_five_stars_then_a_comment_closes_the_report(harness):
    report = await resolved_report(harness)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    assert (await stored(harness, report)).status is Status.RESOLVED  # stars not given yet
    await press(harness, RESIDENT, harness.button(RESIDENT, f"report:stars:{report.id}:5"))

    closed = await stored(harness, report)
    assert (closed.status, closed.stars) == (Status.CLOSED, 5)
    assert any("已办结" in text for text in harness.texts_to(RESIDENT)[-3:])
    assert harness.button(RESIDENT, f"report:nocomment:{report.id}")

    await harness.send(updates.text(RESIDENT, "处理得很及时，谢谢"))
    final = await stored(harness, report)
    assert final.comment == "处理得很及时，谢谢"
    assert await actions(harness, report) == ["submit", "resolve", "confirm", "comment"]
    assert "感谢" in harness.last_text(RESIDENT)
    assert any("处理得很及时" in text for text in harness.texts_to(WORKER_G1))
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_the_comment_may_be_skipped(harness):
    report = await resolved_report(harness)
    await press(harness, RESIDENT, f"report:solved:{report.id}")
    await press(harness, RESIDENT, f"report:stars:{report.id}:3")
    await press(harness, RESIDENT, f"report:nocomment:{report.id}")
    assert await harness.services.drafts.get(RESIDENT) is None
    assert (await stored(harness, report)).comment is None
    assert await actions(harness, report) == ["submit", "resolve", "confirm"]


async def test_not_solved_reopens_the_report_one_tier_up(harness):
    report = await resolved_report(harness)
    await press(harness, RESIDENT, f"report:unsolved:{report.id}")
    reopened = await stored(harness, report)
    assert reopened.status is Status.OPEN
    assert (reopened.holder_unit, reopened.tier.value) == ("C1", "community")
    assert await actions(harness, report) == ["submit", "resolve", "reopen"]
    assert any("重新交办" in text for text in harness.texts_to(RESIDENT))
    assert any(reopened.number in text for text in harness.texts_to(COMMUNITY))


async def test_a_verify_press_by_another_user_changes_nothing(harness):
    report = await resolved_report(harness)
    for data in (f"report:solved:{report.id}", f"report:stars:{report.id}:1"):
        await press(harness, RESIDENT_2, data)
        assert last_answer(harness) == "您没有权限进行此操作。"
    await press(harness, WORKER_G1, f"report:unsolved:{report.id}")
    assert last_answer(harness) == "您没有权限进行此操作。"
    assert (await stored(harness, report)).status is Status.RESOLVED
    assert await actions(harness, report) == ["submit", "resolve"]


async def test_a_second_star_press_on_a_closed_report_is_refused(harness):
    report = await resolved_report(harness)
    await press(harness, RESIDENT, f"report:stars:{report.id}:5")
    await press(harness, RESIDENT, f"report:stars:{report.id}:1")
    assert "已办结" in (last_answer(harness) or "")
    closed = await stored(harness, report)
    assert closed.stars == 5
    assert await actions(harness, report) == ["submit", "resolve", "confirm"]


async def test_stars_on_a_report_that_is_not_resolved_change_nothing(harness):
    report = await submitted_report(harness)
    await press(harness, RESIDENT, f"report:stars:{report.id}:5")
    assert "待接单" in (last_answer(harness) or "")
    assert (await stored(harness, report)).status is Status.OPEN


async def test_a_forged_star_count_is_refused(harness):
    report = await resolved_report(harness)
    await press(harness, RESIDENT, f"report:stars:{report.id}:9")
    assert "失效" in (last_answer(harness) or "")
    assert (await stored(harness, report)).status is Status.RESOLVED


async def test_a_photo_instead_of_a_comment_starts_a_new_report(harness):
    report = await resolved_report(harness)
    await press(harness, RESIDENT, f"report:stars:{report.id}:4")
    await harness.send(updates.photo(RESIDENT, "next-1"))
    draft = await harness.services.drafts.get(RESIDENT)
    assert draft is not None and draft.flow == "report" and draft.data["photos"] == ["next-1"]
    assert (await stored(harness, report)).comment is None
