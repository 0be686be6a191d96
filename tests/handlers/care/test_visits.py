"""Visits: reminder → log → next due; a need found opens a report in the same step; a missed
visit nags, respects quiet hours, and escalates to the community exactly once, restarts or not."""

from datetime import UTC, date, datetime

from bot.app import SWEEPS, open_services
from bot.domain.care import Stage, VisitorKind
from bot.domain.reports import Status
from bot.domain.wishes import WishStatus
from bot.jobs import run_sweeps
from storage.points import Points
from storage.wishes import Wishes
from tests import updates
from tests.conftest import COMMUNITY, HEAD_G1, RESIDENT, WORKER_G1
from tests.handlers.care.support import (
    NOTES,
    SIBLING_COMMUNITY,
    VOLUNTEER,
    add_household,
    approve_volunteer,
    config_path,  # noqa: F401  (the office with a sibling community)
    everything_sent_to,
    households,
)


async def press(harness, user_id, data):
    await harness.send(updates.press(user_id, data))


async def sweep(harness, services=None):
    await run_sweeps(services or harness.services, SWEEPS)
    await harness.deliver()


def count(harness, chat_id, needle):
    return sum(needle in text for text in harness.texts_to(chat_id))


async def test_the_visitor_is_reminded_logs_the_visit_and_the_next_one_falls_due(harness):
    household = await add_household(harness)  # weekly, due Tue 2026-12-01
    harness.clock.now = datetime(2026, 11, 30, 0, 59, tzinfo=UTC)  # 08:59 the day before
    await sweep(harness)
    assert count(harness, WORKER_G1, "走访提醒") == 0
    harness.clock.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 local
    await sweep(harness)
    await sweep(harness)
    assert count(harness, WORKER_G1, "走访提醒") == 1
    reminder = harness.last_text(WORKER_G1)
    assert "3单元502" in reminder and NOTES not in reminder

    await press(harness, WORKER_G1, harness.button(WORKER_G1, f"visit:log:{household.id}"))
    await press(harness, WORKER_G1, "visit:out:met")
    await press(harness, WORKER_G1, "visit:wb:4")
    await harness.send(updates.text(WORKER_G1, "老人精神不错，按时吃药"))
    await press(harness, WORKER_G1, "visit:needs:none")

    assert "下次走访：2026-12-07" in harness.last_text(WORKER_G1)
    after = await households(harness).get(household.id)
    assert (after.due_on, after.stage, after.last_visit_on) == (
        date(2026, 12, 7),
        Stage.SCHEDULED,
        date(2026, 11, 30),
    )
    [visit] = await households(harness).visits_of(household.id)
    assert (visit.outcome.value, visit.wellbeing) == ("met", 4)
    assert visit.note == "老人精神不错，按时吃药"
    assert visit.due_on == date(2026, 12, 1)
    # The old due date passes quietly; the next reminder comes before the new one.
    harness.clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    await sweep(harness)
    assert count(harness, WORKER_G1, "今天该走访") == 0
    harness.clock.now = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
    await sweep(harness)
    assert count(harness, WORKER_G1, "走访提醒") == 2


async def test_a_need_found_on_a_visit_opens_a_report_routed_the_usual_way(harness):
    household = await add_household(harness, unit="B1", visitor=HEAD_G1)
    await harness.send(updates.text(HEAD_G1, "/visits"))
    assert "3单元502" in harness.last_text(HEAD_G1)
    await press(harness, HEAD_G1, harness.button(HEAD_G1, f"visit:log:{household.id}"))
    await press(harness, HEAD_G1, "visit:out:refused")
    await press(harness, HEAD_G1, "visit:skip")
    await press(harness, HEAD_G1, "visit:needs:report")
    await press(harness, HEAD_G1, harness.button(HEAD_G1, "visit:cat:road"))
    await harness.send(updates.text(HEAD_G1, "楼道扶手松动，老人上下楼危险"))

    [visit] = await households(harness).visits_of(household.id)
    assert visit.needs and visit.report_id is not None
    report = await harness.services.reports.get(visit.report_id)
    assert (report.unit, report.category, report.status) == ("B1", "road", Status.OPEN)
    assert report.assignee_id == WORKER_G1  # routed like any report placed at 1栋
    assert report.entered_by == HEAD_G1 and report.reporter_id is None
    assert harness.button(WORKER_G1, f"report:accept:{report.id}")
    assert NOTES not in everything_sent_to(harness, WORKER_G1)
    assert await harness.services.drafts.get(HEAD_G1) is None
    assert (await households(harness).get(household.id)).due_on == date(2026, 12, 1)


async def test_a_description_too_short_keeps_the_visit_on_its_step(harness):
    household = await add_household(harness)
    await press(harness, WORKER_G1, f"visit:log:{household.id}")
    await press(harness, WORKER_G1, "visit:out:not_home")
    await press(harness, WORKER_G1, "visit:skip")
    await press(harness, WORKER_G1, "visit:needs:report")
    await press(harness, WORKER_G1, "visit:cat:litter")
    await harness.send(updates.text(WORKER_G1, "脏"))
    assert (await harness.services.drafts.get(WORKER_G1)).step == "describe"
    assert await households(harness).visits_of(household.id) == []


async def test_an_outcome_button_without_a_visit_under_way_changes_nothing(harness):
    household = await add_household(harness)
    await press(harness, WORKER_G1, "visit:out:met")
    assert "按钮已失效" in harness.last_text(WORKER_G1)
    assert await households(harness).visits_of(household.id) == []


async def test_a_visit_missed_while_the_bot_was_down_escalates_exactly_once_after_restart(
    harness,
):
    household = await add_household(harness)  # weekly, due 2026-12-01
    # Down from before the reminder until three weeks later, 10:00 local.
    harness.clock.now = datetime(2026, 12, 22, 2, 0, tzinfo=UTC)
    for _ in range(3):
        await sweep(harness)
    assert count(harness, COMMUNITY, "五必访逾期上报") == 1
    assert count(harness, WORKER_G1, "已上报社区") == 1
    assert len(harness.request.sent(chat_id=WORKER_G1)) == 1  # no burst of stale reminders
    assert count(harness, SIBLING_COMMUNITY, "逾期") == 0
    # A fresh set of services on the same database file (a restart), three passes again.
    restarted = await open_services(harness.services.settings, harness.clock)
    try:
        for _ in range(3):
            await sweep(harness, restarted)
    finally:
        await restarted.store.close()
    harness.clock.advance(days=3)
    await sweep(harness)
    assert count(harness, COMMUNITY, "五必访逾期上报") == 1
    assert count(harness, WORKER_G1, "已上报社区") == 1
    events = [a for a, _ in await households(harness).events(household.id)]
    assert events == ["register", "escalate"]
    assert all(call.params.get("chat_id", 1) > 0 for call in harness.request.calls)


async def test_a_missed_visit_nags_daily_then_escalates_once(harness):
    await add_household(harness)  # due 2026-12-01 → missed 12-04 09:00 → escalated 12-06
    days = [(11, 30), (12, 1), (12, 2), (12, 3), (12, 4), (12, 5), (12, 6), (12, 7), (12, 8)]
    for month, day in days:
        harness.clock.now = datetime(2026, month, day, 1, 0, tzinfo=UTC)
        await sweep(harness)
        await sweep(harness)
    assert count(harness, WORKER_G1, "走访提醒") == 1
    assert count(harness, WORKER_G1, "今天该走访") == 1
    assert count(harness, WORKER_G1, "走访已逾期") == 1
    assert count(harness, WORKER_G1, "仍未完成") == 1
    assert count(harness, WORKER_G1, "已上报社区") == 1
    assert count(harness, COMMUNITY, "五必访逾期上报") == 1
    # The community's message opens the household for them, notes included.
    show = harness.button(COMMUNITY, "household:show:")
    await press(harness, COMMUNITY, show)
    assert NOTES in harness.last_text(COMMUNITY)


async def test_nags_found_in_quiet_hours_wait_for_the_morning(harness):
    await add_household(harness)
    harness.clock.now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 23:00 local, missed today
    await sweep(harness)
    assert harness.request.sent(chat_id=WORKER_G1) == []
    harness.clock.now = datetime(2026, 12, 4, 23, 29, tzinfo=UTC)  # 07:29 local
    await sweep(harness)
    assert harness.request.sent(chat_id=WORKER_G1) == []
    harness.clock.now = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 07:30 local
    await sweep(harness)
    assert count(harness, WORKER_G1, "走访已逾期") == 1


async def test_a_volunteers_visit_is_confirmed_by_staff_once(harness):
    await approve_volunteer(harness, VOLUNTEER, "B2", "王阿姨")
    household = await add_household(harness, visitor=VOLUNTEER, visitor_kind=VisitorKind.VOLUNTEER)
    await harness.send(updates.text(VOLUNTEER, "/visits"))
    assert "3单元502" in harness.last_text(VOLUNTEER)
    await press(harness, VOLUNTEER, f"visit:log:{household.id}")
    await press(harness, VOLUNTEER, "visit:out:met")
    await press(harness, VOLUNTEER, "visit:wb:5")
    await press(harness, VOLUNTEER, "visit:skip")
    await press(harness, VOLUNTEER, "visit:needs:none")
    [visit] = await households(harness).visits_of(household.id)
    assert visit.visitor_kind is VisitorKind.VOLUNTEER and visit.confirmed_at is None
    confirm = harness.button(WORKER_G1, f"visit:confirm:{visit.id}")
    assert NOTES not in everything_sent_to(harness, VOLUNTEER)

    await press(harness, RESIDENT, confirm)  # forged: not staff
    await press(harness, VOLUNTEER, confirm)  # nobody confirms their own visit
    await press(harness, SIBLING_COMMUNITY, confirm)
    assert (await households(harness).visit(visit.id)).confirmed_at is None
    await press(harness, WORKER_G1, confirm)
    await press(harness, HEAD_G1, confirm)
    confirmed = await households(harness).visit(visit.id)
    assert confirmed.confirmed_by == WORKER_G1
    assert count(harness, VOLUNTEER, "已被工作人员核实，获得 5 积分") == 1
    assert "已核实过" in harness.last_text(HEAD_G1)
    assert await Points(harness.services.store.db).balance(VOLUNTEER) == 5


async def test_a_staff_visit_earns_no_points_and_asks_nobody_to_confirm(harness):
    household = await add_household(harness)
    await press(harness, WORKER_G1, f"visit:log:{household.id}")
    await press(harness, WORKER_G1, "visit:out:not_home")
    await press(harness, WORKER_G1, "visit:skip")
    await press(harness, WORKER_G1, "visit:needs:none")
    [visit] = await households(harness).visits_of(household.id)
    assert not any(data.startswith("visit:confirm") for _, data in harness.buttons(HEAD_G1))
    await press(harness, HEAD_G1, f"visit:confirm:{visit.id}")
    assert (await households(harness).visit(visit.id)).confirmed_at is None
    assert await Points(harness.services.store.db).balance(WORKER_G1) == 0
    # Nobody home: try again within three days, not a week.
    assert (await households(harness).get(household.id)).due_on == date(2026, 11, 27)


async def test_a_wish_found_on_a_visit_goes_to_staff_review_with_the_visit(harness):
    household = await add_household(harness, unit="B2", visitor=HEAD_G1)
    await press(harness, HEAD_G1, f"visit:log:{household.id}")
    await press(harness, HEAD_G1, "visit:out:met")
    await press(harness, HEAD_G1, "visit:wb:3")
    await harness.send(updates.text(HEAD_G1, "家里热水器坏了"))
    await press(harness, HEAD_G1, "visit:needs:wish")
    await harness.send(updates.text(HEAD_G1, "坏"))
    assert (await harness.services.drafts.get(HEAD_G1)).step == "wish"
    await harness.send(updates.text(HEAD_G1, "需要有人帮忙修理热水器"))

    [visit] = await households(harness).visits_of(household.id)
    assert visit.needs and visit.wish_id is not None and visit.report_id is None
    wish = await Wishes(harness.services.store.db).get(visit.wish_id)
    assert (wish.status, wish.unit) == (WishStatus.PENDING, "B2")
    assert wish.text == "需要有人帮忙修理热水器"
    assert wish.posted_by == HEAD_G1 and wish.resident_id is None
    assert wish.number in harness.last_text(HEAD_G1)
    assert any(wish.number in text for text in harness.texts_to(WORKER_G1))  # the review card
    assert NOTES not in everything_sent_to(harness, WORKER_G1)
    assert all(call.params.get("chat_id", 1) > 0 for call in harness.request.calls)


async def test_a_visit_under_way_when_visits_stop_is_not_stored(harness):
    household = await add_household(harness)
    await press(harness, WORKER_G1, f"visit:log:{household.id}")
    await press(harness, WORKER_G1, "visit:out:met")
    await press(harness, WORKER_G1, "visit:wb:2")
    await press(harness, COMMUNITY, f"household:offok:{household.id}")
    await press(harness, WORKER_G1, "visit:skip")
    await press(harness, WORKER_G1, "visit:needs:none")
    assert "已停止走访" in harness.last_text(WORKER_G1)
    assert await households(harness).visits_of(household.id) == []
    assert await harness.services.drafts.get(WORKER_G1) is None
    await press(harness, WORKER_G1, f"visit:log:{household.id}")  # an old reminder's button
    assert "已停止走访" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(WORKER_G1, "/visits"))
    assert "没有需要走访" in harness.last_text(WORKER_G1)
