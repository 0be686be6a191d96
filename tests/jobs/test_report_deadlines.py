"""The deadline sweep through the real application: reminder, nag, escalation, expiry, quiet hours.

A grid report submitted on Tuesday 2026-11-24 at 10:00 (Shanghai) must be accepted within 2
working hours: reminder 11:30, deadline 12:00, escalation 14:00 (30 working minutes of grace
after the lunch break).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import reports as domain
from bot.domain.reports import Report, Status, Window
from bot.domain.units import Tier
from bot.jobs.reports import report_deadlines
from bot.usecases.reports import save_move, submit
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, STREET, WORKER_G1

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def new_report(
    harness, *, unit: str = "B1", category: str = "litter", reporter: int = RESIDENT
) -> Report:
    report = await submit(
        harness.services,
        reporter_id=reporter,
        entered_by=None,
        category=category,
        unit=unit,
        description="楼道里堆满了杂物",
        photos=["before-1", "before-2"],
    )
    await harness.deliver()
    return report


async def sweep_at(harness, when: str) -> int:
    """Moves the clock to WHEN (local time), runs the deadline sweep and delivers its messages."""
    harness.clock.now = local(when)
    acted = await report_deadlines(harness.services, harness.clock())
    await harness.deliver()
    return acted


async def stored(harness, report: Report) -> Report:
    found = await harness.services.reports.get(report.id)
    assert found is not None
    return found


async def actions(harness, report: Report) -> list[str]:
    return [e.action.value for e in await harness.services.reports.events(report.id)]


def new_texts(harness, chat_id: int, before: int) -> list[str]:
    return harness.texts_to(chat_id)[before:]


async def test_a_new_report_shows_its_deadline_on_both_cards(harness):
    report = await new_report(harness)
    assert report.due_at == local("2026-11-24 12:00")
    assert any("2026-11-24 12:00" in text for text in harness.texts_to(RESIDENT))
    assert any("2026-11-24 12:00" in text for text in harness.texts_to(WORKER_G1))


async def test_accepting_starts_the_resolve_clock(harness):
    report = await new_report(harness)
    harness.clock.now = local("2026-11-24 11:00")
    await harness.send(updates.press(WORKER_G1, f"report:accept:{report.id}"))
    accepted = await stored(harness, report)
    assert accepted.status is Status.ACCEPTED
    assert accepted.timer is not None and accepted.timer.window is Window.RESOLVE
    assert accepted.due_at == local("2026-11-27 11:00")  # three working days
    assert "2026-11-27 11:00" in harness.texts_to(WORKER_G1)[-1]


async def test_reminder_then_nag_then_escalation_to_the_community(harness):
    report = await new_report(harness)
    seen = len(harness.texts_to(WORKER_G1))
    assert await sweep_at(harness, "2026-11-24 11:00") == 0

    assert await sweep_at(harness, "2026-11-24 11:30") == 1
    [reminder] = new_texts(harness, WORKER_G1, seen)
    assert report.number in reminder and "12:00" in reminder
    assert harness.button(WORKER_G1, f"report:card:{report.id}")
    assert await sweep_at(harness, "2026-11-24 11:31") == 0  # reminded once

    seen = len(harness.texts_to(WORKER_G1))
    assert await sweep_at(harness, "2026-11-24 12:00") == 1
    [nag] = new_texts(harness, WORKER_G1, seen)
    assert "已超过接单时限" in nag and "14:00" in nag and "社区" in nag

    resident_seen = len(harness.texts_to(RESIDENT))
    assert await sweep_at(harness, "2026-11-24 14:00") == 1
    escalated = await stored(harness, report)
    assert (escalated.holder_unit, escalated.tier, escalated.status) == (
        "C1",
        Tier.COMMUNITY,
        Status.OPEN,
    )
    assert escalated.assignee_id is None  # held at the community for its staff to take
    # A new clock: the community's 4 working hours from 14:00.
    assert escalated.due_at == local("2026-11-25 09:00")
    assert await actions(harness, report) == ["submit", "remind", "nag", "escalate"]
    # The community is told why it arrived, with the photos and a card it can act from.
    assert harness.request.sent("sendMediaGroup", COMMUNITY)
    assert any("升级至本级" in text for text in harness.texts_to(COMMUNITY))
    assert harness.button(COMMUNITY, f"report:accept:{report.id}")
    # The reporter and the previous assignee are told; the old card loses its buttons.
    assert any("升级" in text for text in new_texts(harness, RESIDENT, resident_seen))
    assert any("无需再处理" in text for text in harness.texts_to(WORKER_G1))
    last_edit = harness.request.sent("editMessageText", WORKER_G1)[-1]
    assert "不再可操作" in last_edit.params["text"]
    assert "report:" not in str(last_edit.params.get("reply_markup"))


async def test_nags_in_quiet_hours_wait_for_the_end_of_them(harness):
    harness.services.settings.deadlines.quiet_hours = "11:00-13:00"
    report = await new_report(harness)
    seen = len(harness.texts_to(WORKER_G1))
    assert await sweep_at(harness, "2026-11-24 11:30") == 0
    assert new_texts(harness, WORKER_G1, seen) == []
    waiting = await stored(harness, report)
    assert waiting.timer is not None and waiting.timer.next_at == local("2026-11-24 13:00")
    assert await sweep_at(harness, "2026-11-24 12:30") == 0
    assert await sweep_at(harness, "2026-11-24 13:00") == 1
    [nag] = new_texts(harness, WORKER_G1, seen)
    assert "已超过" in nag  # one nag, not the stale reminder as well
    assert await actions(harness, report) == ["submit", "nag"]


async def test_urgent_categories_are_nagged_in_quiet_hours(harness):
    harness.services.settings.deadlines.quiet_hours = "11:00-13:00"
    report = await new_report(harness, category="safety")
    assert await sweep_at(harness, "2026-11-24 11:30") == 1
    assert await actions(harness, report) == ["submit", "remind"]


async def test_the_daily_budget_holds_back_nags_but_not_the_escalation(harness):
    harness.services.settings.deadlines.daily_nags = 1
    report = await new_report(harness)
    assert await sweep_at(harness, "2026-11-24 11:30") == 1  # the reminder spends the budget
    assert await sweep_at(harness, "2026-11-24 12:00") == 0
    assert await sweep_at(harness, "2026-11-24 14:00") == 1
    assert await actions(harness, report) == ["submit", "remind", "escalate"]


async def test_at_the_top_tier_an_overdue_report_is_nagged_not_escalated(harness):
    report = await new_report(harness, unit="S1")  # held by the street, nobody above has staff
    assert (report.holder_unit, report.tier) == ("S1", Tier.STREET)
    assert report.timer is not None and report.timer.breach_at is None
    assert report.due_at == local("2026-11-25 10:00")  # one working day
    seen = len(harness.texts_to(STREET))
    assert await sweep_at(harness, "2026-11-25 10:00") == 1
    assert await sweep_at(harness, "2026-11-25 12:00") == 1
    assert await sweep_at(harness, "2026-11-26 10:00") == 1
    texts = new_texts(harness, STREET, seen)
    assert len(texts) == 3 and all("已超过接单时限" in t and "升级" not in t for t in texts)
    assert (await stored(harness, report)).holder_unit == "S1"
    assert await actions(harness, report) == ["submit", "nag", "nag", "nag"]


async def test_an_unverified_resolution_closes_apart_after_72_hours(harness):
    report = await new_report(harness)
    harness.clock.now = local("2026-11-24 10:30")
    worker = await harness.services.people.staff(WORKER_G1)
    after, event = domain.resolve(report, worker, harness.clock(), photo="after-1", note="已清理")
    await save_move(harness.services, report, after, event)
    await harness.deliver()
    resolved = await stored(harness, report)
    assert resolved.due_at == local("2026-11-27 10:30")
    # The reporter's card shows no handling deadline any more (the 72 h are theirs to confirm).
    assert "办理时限：—" in harness.request.sent("editMessageText", RESIDENT)[-1].params["text"]
    assert await sweep_at(harness, "2026-11-27 10:29") == 0
    assert await sweep_at(harness, "2026-11-27 10:30") == 1
    closed = await stored(harness, report)
    assert closed.status is Status.CLOSED_UNVERIFIED and closed.timer is None
    assert await actions(harness, report) == ["submit", "resolve", "expire"]
    assert any("自动办结" in text for text in harness.texts_to(RESIDENT))
    assert await sweep_at(harness, "2026-12-27 10:30") == 0  # closed reports leave the sweep


async def test_a_report_without_a_clock_gets_one_quietly(harness):
    report = await new_report(harness)
    async with harness.services.store.db.transaction() as conn:
        await conn.execute(
            "UPDATE reports SET timer_window = NULL, next_action_at = ? WHERE id = ?",
            ("2026-11-24T02:00:00.000000+00:00", report.id),
        )
    outbox_before = await harness.services.outbox.pending_count()
    assert await sweep_at(harness, "2026-11-24 13:00") == 0  # a clock, not a step
    restarted = await stored(harness, report)
    assert restarted.timer is not None and restarted.timer.window is Window.ACCEPT
    assert restarted.due_at == local("2026-11-24 15:30")  # 2 working hours from 13:00
    assert restarted.version == report.version
    assert await harness.services.outbox.pending_count() == outbox_before
    assert await actions(harness, report) == ["submit"]
