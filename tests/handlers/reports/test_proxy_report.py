"""代报: a staff member reports for a resident who phoned or came in, then verifies for them."""

from __future__ import annotations

from bot.domain import reports as domain
from bot.domain.reports import Status
from bot.usecases.reports import save_move
from tests import updates
from tests.conftest import HEAD_G1, WORKER_G1
from tests.handlers.reports.test_submit_flow import (
    DESCRIPTION,
    all_reports,
    category,
    last_answer,
    press,
    step_of,
)


async def test_staff_are_asked_whether_they_report_for_a_resident(harness):
    await harness.send(updates.text(WORKER_G1, "/report"))
    assert "代报" in harness.last_text(WORKER_G1)
    assert await step_of(harness, WORKER_G1) == "kind"
    assert harness.button(WORKER_G1, "newreport:for:")


async def test_a_proxy_report_records_who_entered_it_and_the_residents_contact(harness):
    await harness.send(updates.text(WORKER_G1, "/report"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:for:"))  # 代报 first
    assert await step_of(harness, WORKER_G1) == "contact"
    await harness.send(updates.text(WORKER_G1, "王阿姨 13800001111"))
    await harness.send(updates.photo(WORKER_G1, "proxy-1", caption=DESCRIPTION))
    await press(harness, WORKER_G1, category(harness, WORKER_G1, "road"))
    # No default place for 代报: the walk starts at once.
    assert await step_of(harness, WORKER_G1) == "walk"
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))  # 第一网格
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))  # 1栋
    assert "王阿姨 13800001111" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:send:"))

    [report] = await all_reports(harness)
    assert (report.reporter_id, report.entered_by) == (None, WORKER_G1)
    assert report.contact == "王阿姨 13800001111"
    assert report.unit == "B1"
    assert any(report.number in text for text in harness.texts_to(WORKER_G1))


async def test_the_contact_may_be_skipped(harness):
    await harness.send(updates.text(WORKER_G1, "/report"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:for:"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:skip:"))
    assert await step_of(harness, WORKER_G1) == "photos"
    draft = await harness.services.drafts.get(WORKER_G1)
    assert draft is not None and draft.data["contact"] is None


async def test_a_photo_sent_by_staff_starts_a_report_and_asks_for_whom(harness):
    await harness.send(updates.photo(HEAD_G1, "seen-1"))
    assert await step_of(harness, HEAD_G1) == "kind"
    press_self = next(d for _, d in harness.buttons(HEAD_G1) if d.endswith(":self"))
    await press(harness, HEAD_G1, press_self)
    assert await step_of(harness, HEAD_G1) == "photos"
    assert "1 张照片" in harness.last_text(HEAD_G1)


async def test_a_proxy_report_is_verified_by_whoever_entered_it(harness):
    await harness.send(updates.text(WORKER_G1, "/report"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:for:"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:skip:"))
    await harness.send(updates.photo(WORKER_G1, "proxy-1", caption=DESCRIPTION))
    await press(harness, WORKER_G1, category(harness, WORKER_G1, "litter"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "place:pick:"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "newreport:send:"))
    [report] = await all_reports(harness)

    services = harness.services
    worker = await services.people.staff(WORKER_G1)
    after, event = domain.resolve(report, worker, services.clock(), photo="after-1", note="已修")
    await save_move(services, report, after, event)
    await harness.deliver()
    [photo] = [
        c for c in harness.request.sent("sendPhoto", WORKER_G1) if c.params["photo"] == "after-1"
    ]
    assert "report:solved" in str(photo.params["reply_markup"])

    await press(harness, HEAD_G1, f"report:stars:{report.id}:5")  # not the one who entered it
    assert last_answer(harness) == "您没有权限进行此操作。"
    await press(harness, WORKER_G1, f"report:solved:{report.id}")
    await press(harness, WORKER_G1, f"report:stars:{report.id}:4")
    closed = await services.reports.get(report.id)
    assert closed is not None and (closed.status, closed.stars) == (Status.CLOSED, 4)
