"""申请延期: the holder asks for more time, staff of a unit above decide; every step an event."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.domain.reports import Report
from bot.jobs.reports import report_deadlines
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, HEAD_G1, RESIDENT, STREET, WORKER_G1, WORKER_G2
from tests.jobs.test_report_deadlines import actions, local, new_report, stored


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def accepted_report(harness) -> Report:
    """A grid report accepted at Tuesday 10:00: due Friday 2026-11-27 10:00."""
    report = await new_report(harness)
    await press(harness, WORKER_G1, f"report:accept:{report.id}")
    return await stored(harness, report)


async def ask(
    harness, report: Report, span_button: str = "2d", reason: str = "等待配件到货"
) -> None:
    await press(harness, WORKER_G1, harness.button(WORKER_G1, f"ext:ask:{report.id}"))
    await press(
        harness, WORKER_G1, harness.button(WORKER_G1, f"ext:span:{report.id}:{span_button}")
    )
    await harness.send(updates.text(WORKER_G1, reason))


async def test_the_worker_card_offers_more_time_while_the_report_is_open(harness):
    report = await new_report(harness)
    assert harness.button(WORKER_G1, f"ext:ask:{report.id}")
    await press(harness, WORKER_G1, f"report:accept:{report.id}")
    assert harness.button(WORKER_G1, f"ext:ask:{report.id}")


async def test_an_approved_extension_moves_the_deadline_and_everyone_sees_it(harness):
    report = await accepted_report(harness)
    await press(harness, WORKER_G1, f"ext:ask:{report.id}")
    assert "2026-11-27 10:00" in harness.last_text(WORKER_G1)
    assert [data for _, data in harness.buttons(WORKER_G1)] == [
        f"ext:span:{report.id}:1d",
        f"ext:span:{report.id}:2d",
        f"ext:span:{report.id}:3d",
    ]
    await press(harness, WORKER_G1, f"ext:span:{report.id}:2d")
    assert "原因" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "等待配件到货"))
    assert "春晖社区" in harness.last_text(WORKER_G1)  # sent to the community for approval
    request = harness.last_text(COMMUNITY)
    assert "等待配件到货" in request and "2 个工作日" in request
    assert "2026-12-01 10:00" in request  # what the deadline would become
    assert (await stored(harness, report)).due_at == local("2026-11-27 10:00")  # not yet

    harness.clock.now = local("2026-11-24 15:00")
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"ext:ok:{report.id}:1"))
    extended = await stored(harness, report)
    assert extended.due_at == local("2026-12-01 10:00")
    assert await actions(harness, report) == ["submit", "accept", "ask_extension", "extend"]
    assert "已获批准" in harness.last_text(WORKER_G1)
    assert "2026-12-01 10:00" in harness.last_text(WORKER_G1)
    assert (
        "2026-12-01 10:00" in harness.request.sent("editMessageText", RESIDENT)[-1].params["text"]
    )
    decided = harness.request.sent("editMessageText", COMMUNITY)[-1]
    assert "已由 陈社区 批准" in decided.params["text"]
    assert "ext:" not in str(decided.params.get("reply_markup"))
    events = await harness.services.reports.events(report.id)
    assert datetime.fromisoformat(events[-1].data["from"]) == local("2026-11-27 10:00")
    assert events[-2].note == "等待配件到货" and events[-2].actor_id == WORKER_G1


async def test_the_sweep_follows_the_moved_deadline(harness):
    report = await accepted_report(harness)
    await ask(harness, report, "1d")
    await press(harness, COMMUNITY, f"ext:ok:{report.id}:1")
    harness.clock.now = local("2026-11-27 10:00")  # the old deadline: nothing is overdue now
    await report_deadlines(harness.services, harness.clock())
    assert "nag" not in await actions(harness, report)


async def test_a_denied_extension_keeps_the_deadline_and_tells_the_worker(harness):
    report = await accepted_report(harness)
    await ask(harness, report)
    await press(harness, COMMUNITY, f"ext:no:{report.id}:1")
    denied = await stored(harness, report)
    assert denied.due_at == local("2026-11-27 10:00")
    assert await actions(harness, report) == ["submit", "accept", "ask_extension", "deny_extension"]
    assert "未获批准" in harness.last_text(WORKER_G1)
    assert "驳回" in harness.request.sent("editMessageText", COMMUNITY)[-1].params["text"]


async def test_the_extra_time_can_be_typed_and_nonsense_is_asked_again(harness):
    report = await accepted_report(harness)
    await press(harness, WORKER_G1, f"ext:ask:{report.id}")
    await harness.send(updates.text(WORKER_G1, "很久"))
    assert "1–10 个工作日" in harness.last_text(WORKER_G1)
    await harness.send(updates.sticker(WORKER_G1))
    assert "1–10 个工作日" in harness.last_text(WORKER_G1)
    draft = await harness.services.drafts.get(WORKER_G1)
    assert draft is not None and draft.step == "span"
    await harness.send(updates.text(WORKER_G1, "4小时"))
    assert "4 小时" in harness.last_text(WORKER_G1)
    await harness.send(updates.sticker(WORKER_G1))
    assert "文字" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "好"))  # too short
    assert "2–300" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "居民不在家，约了明天上门"))
    await press(harness, STREET, f"ext:ok:{report.id}:1")  # the street is above the grid too
    assert (await stored(harness, report)).due_at == local("2026-11-27 15:30")


@pytest.mark.parametrize("presser", [WORKER_G1, WORKER_G2, HEAD_G1, RESIDENT])
async def test_only_staff_of_a_unit_above_decide(harness, presser):
    report = await accepted_report(harness)
    await ask(harness, report)
    before = await stored(harness, report)
    outbox = await harness.services.outbox.pending_count()
    await press(harness, presser, f"ext:ok:{report.id}:1")
    assert (await stored(harness, report)).version == before.version
    assert "只有上级单位" in harness.last_text(presser)
    assert await harness.services.outbox.pending_count() == outbox
    assert harness.request.sent("answerCallbackQuery")


async def test_an_admin_may_decide(harness):
    report = await accepted_report(harness)
    await ask(harness, report)
    await press(harness, ADMIN, f"ext:no:{report.id}:1")
    assert (await actions(harness, report))[-1] == "deny_extension"


async def test_a_second_press_and_a_lapsed_request_change_nothing(harness):
    report = await accepted_report(harness)
    await ask(harness, report)
    await press(harness, COMMUNITY, f"ext:ok:{report.id}:1")
    await press(harness, COMMUNITY, f"ext:ok:{report.id}:1")
    await press(harness, COMMUNITY, f"ext:no:{report.id}:1")
    assert (await actions(harness, report)).count("extend") == 1
    assert "已处理或已失效" in harness.last_text(COMMUNITY)

    await ask(harness, await stored(harness, report), "1d", "还需要协调物业")  # request 2
    harness.clock.now = local("2026-12-10 10:00")  # long past: escalated, the request lapses
    await report_deadlines(harness.services, harness.clock())
    moved = await stored(harness, report)
    assert moved.holder_unit == "C1"
    await press(harness, STREET, f"ext:ok:{report.id}:2")  # above the new holder, too late
    assert "已处理或已失效" in harness.last_text(STREET)
    assert (await actions(harness, report))[-1] == "escalate"


async def test_only_the_holder_asks_and_only_once_at_a_time(harness):
    report = await accepted_report(harness)
    await press(harness, WORKER_G2, f"ext:ask:{report.id}")
    assert "只有案件" in harness.last_text(WORKER_G2)
    assert await harness.services.drafts.get(WORKER_G2) is None
    await ask(harness, report)
    await press(harness, WORKER_G1, f"ext:ask:{report.id}")
    assert "等待审批" in harness.last_text(WORKER_G1)
    assert (await actions(harness, report)).count("ask_extension") == 1


async def test_a_forged_span_or_report_changes_nothing(harness):
    report = await accepted_report(harness)
    await press(harness, WORKER_G1, f"ext:span:{report.id}:9d")  # no conversation, odd span
    await press(harness, WORKER_G1, "ext:ok:999999:1")
    assert await harness.services.drafts.get(WORKER_G1) is None
    assert await actions(harness, report) == ["submit", "accept"]
    assert "已处理或已失效" in harness.last_text(WORKER_G1)


async def test_cancel_drops_a_half_made_request(harness):
    report = await accepted_report(harness)
    await press(harness, WORKER_G1, f"ext:ask:{report.id}")
    await press(harness, WORKER_G1, f"ext:span:{report.id}:1d")
    await harness.send(updates.text(WORKER_G1, "/cancel"))
    assert await harness.services.drafts.get(WORKER_G1) is None
    assert await actions(harness, report) == ["submit", "accept"]


async def test_english_spans_read_one_day_and_two_days_without_plural_brackets(harness):
    report = await accepted_report(harness)
    await harness.services.people.update(WORKER_G1, harness.clock(), lang="en")
    await press(harness, WORKER_G1, f"ext:ask:{report.id}")
    labels = [label for label, data in harness.buttons(WORKER_G1) if data.startswith("ext:span:")]
    assert labels == ["1 working day", "2 working days", "3 working days"]
    await harness.send(updates.text(WORKER_G1, "1h"))
    assert harness.last_text(WORKER_G1).startswith("1 hour more.")
    await harness.send(updates.text(WORKER_G1, "The parts arrive tomorrow"))
    assert "request for 1 hour more" in harness.last_text(WORKER_G1)
    assert not [t for t in harness.texts_to(WORKER_G1) if "(s)" in t]
