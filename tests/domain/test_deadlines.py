"""Deadlines: windows per tier and category, reminder, nags, escalation, 申请延期, reopen up."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot.domain import deadlines
from bot.domain import reports as domain
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import Do, ExtensionError, Policy, Rules, Span, Windows
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, Report, ReportEvent, Status, Window
from bot.domain.routing import Route
from bot.domain.units import Tier, Unit, UnitTree

SHANGHAI = ZoneInfo("Asia/Shanghai")
TREE = UnitTree(
    [
        Unit("D1", "区", "district"),
        Unit("S1", "街道", "street", "D1"),
        Unit("C1", "社区", "community", "S1"),
        Unit("G1", "一网格", "grid", "C1"),
        Unit("G2", "二网格", "grid", "C1"),
    ]
)
WORKER = Staff(101, "网格员", Role.GRID_WORKER, "G1")
OTHER_WORKER = Staff(102, "网格员二", Role.GRID_WORKER, "G2")
HEAD = Staff(103, "网格长", Role.GRID_HEAD, "G1")
COMMUNITY = Staff(201, "社区", Role.COMMUNITY, "C1")
PARTNER = Staff(401, "物业", Role.PARTNER, "C1", ("property",))
STREET = Staff(301, "街道", Role.STREET, "S1")
ADMIN = Staff(901, "管理员", Role.ADMIN, "D1")
STAFF = [WORKER, OTHER_WORKER, HEAD, COMMUNITY, PARTNER, STREET, ADMIN]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def rules(**policy: object) -> Rules:
    calendar = WorkCalendar(SHANGHAI, library=chinese_calendar.is_workday)
    return Rules(Policy(**policy), calendar)  # type: ignore[arg-type]


RULES = rules()


def report(**fields: object) -> Report:
    base = Report(
        reporter_id=5001,
        category="litter",
        unit="G1",
        description="垃圾",
        photos=("p",),
        created_at=local("2026-11-24 10:00"),
        holder_unit="G1",
        tier=Tier.GRID,
        assignee_id=WORKER.user_id,
        id=1,
        version=1,
    )
    return replace(base, **fields)


def started(at: str = "2026-11-24 10:00", **fields: object) -> Report:
    """Returns a grid report whose accept window runs from AT (Tuesday 10:00 by default)."""
    r = report(**fields)
    window = domain.WINDOW_OF[r.status]
    urgent = bool(fields.get("category") == "safety")
    return deadlines.start(r, window, local(at), RULES, urgent=urgent, can_escalate=True)


# Windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "status", "urgent", "due", "remind", "breach"),
    [
        # Grid, accept 2 working hours: remind at 1.5 h, escalate 0.5 h past (over lunch).
        (Tier.GRID, Status.OPEN, False, "11-24 12:00", "11-24 11:30", "11-24 14:00"),
        # Grid, resolve 3 working days from Tuesday 10:00.
        (Tier.GRID, Status.ACCEPTED, False, "11-27 10:00", "11-26 11:52:30", "11-27 17:07:30"),
        # Community, accept 4 working hours.
        (Tier.COMMUNITY, Status.OPEN, False, "11-24 15:30", "11-24 14:30", "11-24 16:30"),
        # Street, accept 1 working day.
        (Tier.STREET, Status.OPEN, False, "11-25 10:00", "11-24 17:07:30", "11-25 11:52:30"),
        # Urgent categories run on the wall clock: 2 h accept, 3 × 24 h to resolve.
        (Tier.GRID, Status.OPEN, True, "11-24 12:00", "11-24 11:30", "11-24 12:30"),
        (Tier.GRID, Status.ACCEPTED, True, "11-27 10:00", "11-26 16:00", "11-28 04:00"),
    ],
)
def test_a_window_runs_in_working_time_unless_the_category_is_urgent(
    tier, status, urgent, due, remind, breach
):
    r = report(tier=tier, status=status)
    window = domain.WINDOW_OF[status]
    after = deadlines.start(
        r, window, local("2026-11-24 10:00"), RULES, urgent=urgent, can_escalate=True
    )
    assert after.due_at == local(f"2026-{due}")
    assert after.timer is not None
    assert after.timer.remind_at == local(f"2026-{remind}")
    assert after.timer.breach_at == local(f"2026-{breach}")
    assert after.timer.next_at == after.timer.remind_at


def test_a_window_that_runs_into_an_unannounced_year_still_gets_a_deadline():
    r = report(status=Status.ACCEPTED)
    after = deadlines.start(
        r, Window.RESOLVE, local("2026-12-31 16:00"), RULES, urgent=False, can_escalate=True
    )
    assert after.due_at == local("2027-01-05 16:00")


def test_a_category_can_have_its_own_windows_per_tier():
    fast = Windows(Span.parse("30m"), Span.parse("4h"))
    custom = rules(by_category={"safety": {Tier.GRID: fast}})
    r = report(category="safety")
    after = deadlines.start(
        r, Window.ACCEPT, local("2026-11-24 10:00"), custom, urgent=False, can_escalate=True
    )
    assert after.due_at == local("2026-11-24 10:30")
    other = deadlines.start(
        report(category="safety", tier=Tier.COMMUNITY),
        Window.ACCEPT,
        local("2026-11-24 10:00"),
        custom,
        urgent=False,
        can_escalate=True,
    )
    assert other.due_at == local("2026-11-24 15:30")  # community falls back to the default


def test_at_the_top_tier_there_is_no_escalation():
    after = deadlines.start(
        report(tier=Tier.DISTRICT, holder_unit="D1"),
        Window.ACCEPT,
        local("2026-11-24 10:00"),
        RULES,
        urgent=False,
        can_escalate=False,
    )
    assert after.timer is not None and after.timer.breach_at is None


def test_the_verification_window_is_wall_clock_hours_then_expiry():
    at = local("2026-11-27 16:00")
    after = deadlines.start(
        report(status=Status.RESOLVED), Window.VERIFY, at, RULES, urgent=False, can_escalate=True
    )
    assert after.due_at == at + timedelta(hours=72)
    assert after.timer is not None and after.timer.next_at == after.due_at
    assert after.timer.remind_at is None and after.timer.breach_at is None


@pytest.mark.parametrize(
    ("text", "span"),
    [("90m", Span(90, "m")), ("2h", Span(2, "h")), ("1.5h", Span(1.5, "h")), ("3d", Span(3, "d"))],
)
def test_spans_are_written_in_minutes_hours_or_working_days(text, span):
    assert Span.parse(text) == span
    assert Span.parse(str(span)) == span


@pytest.mark.parametrize("text", ["", "3", "3w", "-1h", "0h", "h"])
def test_a_malformed_span_is_refused(text):
    with pytest.raises(ValueError):
        Span.parse(text)


# What each move starts ------------------------------------------------------------------


def moved(r: Report, action: Action, at: str, **changes: object) -> tuple[Report, ReportEvent]:
    return domain.move(r, action, actor_id=1, at=local(at), **changes)


@pytest.mark.parametrize(
    ("status", "action", "window"),
    [
        (Status.OPEN, Action.ACCEPT, Window.RESOLVE),
        (Status.OPEN, Action.TRANSFER, Window.ACCEPT),
        (Status.ACCEPTED, Action.REFER_UP, Window.ACCEPT),
        (Status.ACCEPTED, Action.ESCALATE, Window.ACCEPT),
        (Status.ACCEPTED, Action.RESOLVE, Window.VERIFY),
        (Status.RESOLVED, Action.REOPEN, Window.ACCEPT),
        (Status.RESOLVED, Action.CONFIRM, None),
        (Status.RESOLVED, Action.EXPIRE, None),
        (Status.OPEN, Action.REJECT, None),
    ],
)
def test_every_move_starts_the_window_of_the_new_status(status, action, window):
    before = started(status=status)
    after, event = moved(before, action, "2026-11-24 11:00")
    result = deadlines.after_move(after, event, RULES, urgent=False, can_escalate=True)
    if window is None:
        assert result.timer is None
        assert result.due_at == before.due_at  # kept as it was, for the record
    else:
        assert result.timer is not None
        assert result.timer.window is window
        assert result.timer.started_at == local("2026-11-24 11:00")


@pytest.mark.parametrize("action", [Action.REMIND, Action.NAG, Action.ASK_EXTENSION])
def test_a_move_that_is_not_a_handover_keeps_the_running_clock(action):
    before = started()
    after, event = moved(before, action, "2026-11-24 11:40")
    assert deadlines.after_move(after, event, RULES, urgent=False, can_escalate=True) == after


def test_a_handover_drops_a_pending_extension_request():
    before = started(status=Status.ACCEPTED, extra={"extension": {"n": 1, "span": "1d"}})
    after, event = moved(before, Action.REFER_UP, "2026-11-24 11:00")
    result = deadlines.after_move(after, event, RULES, urgent=False, can_escalate=True)
    assert "extension" not in result.extra


# What the sweep does --------------------------------------------------------------------

# A grid report submitted Tuesday 10:00: remind 11:30, due 12:00, escalate 14:00.


@pytest.mark.parametrize(
    ("now", "do"),
    [
        ("2026-11-24 11:00", None),  # nothing due yet
        ("2026-11-24 11:30", Do.REMIND),
        ("2026-11-24 11:59", Do.REMIND),
        ("2026-11-24 12:10", Do.NAG),  # found past the deadline: a nag, not a reminder too
        ("2026-11-24 14:00", Do.ESCALATE),
        ("2026-11-24 16:00", Do.ESCALATE),  # six hours of downtime: escalated, once
        ("2026-11-25 03:00", Do.ESCALATE),  # even at night: the breach is not a nag
    ],
)
def test_the_sweep_does_the_most_advanced_step_that_is_due(now, do):
    decision = deadlines.decide(started(), local(now), RULES, urgent=False, can_escalate=True)
    assert (decision.do if decision else None) is do


def test_after_a_reminder_the_next_look_is_the_deadline_then_nags_until_the_breach():
    r = started()
    first = deadlines.decide(r, local("2026-11-24 11:30"), RULES, urgent=False, can_escalate=True)
    assert first is not None and first.do is Do.REMIND and first.timer is not None
    assert first.timer.next_at == local("2026-11-24 12:00")
    assert first.timer.nags == 1 and first.timer.nag_day == date(2026, 11, 24)
    r = replace(r, timer=first.timer)
    assert (
        deadlines.decide(r, local("2026-11-24 11:45"), RULES, urgent=False, can_escalate=True)
        is None
    )
    nag = deadlines.decide(r, local("2026-11-24 12:00"), RULES, urgent=False, can_escalate=True)
    assert nag is not None and nag.do is Do.NAG and nag.timer is not None
    assert nag.timer.next_at == local("2026-11-24 14:00")  # the next nag would be later: breach
    assert nag.timer.nags == 2


def test_without_a_tier_above_an_overdue_report_is_nagged_every_interval():
    r = started()
    nag = deadlines.decide(r, local("2026-11-24 14:00"), RULES, urgent=False, can_escalate=False)
    assert nag is not None and nag.do is Do.NAG and nag.timer is not None
    assert nag.timer.next_at == local("2026-11-24 16:00")  # two working hours later


def test_nags_in_quiet_hours_wait_for_the_end_of_the_quiet_period():
    r = started()
    late = deadlines.decide(r, local("2026-11-24 23:00"), RULES, urgent=False, can_escalate=False)
    assert late is not None and late.do is Do.WAIT and late.timer is not None
    assert late.timer.next_at == local("2026-11-25 07:30")
    early = deadlines.decide(r, local("2026-11-25 06:00"), RULES, urgent=False, can_escalate=False)
    assert early is not None and early.timer is not None
    assert early.timer.next_at == local("2026-11-25 07:30")


def test_urgent_categories_are_nagged_in_quiet_hours_too():
    r = started(category="safety")
    nag = deadlines.decide(r, local("2026-11-24 23:00"), RULES, urgent=True, can_escalate=False)
    assert nag is not None and nag.do is Do.NAG
    assert nag.timer is not None and nag.timer.next_at == local("2026-11-25 01:00")


def test_the_daily_budget_stops_nags_until_the_next_day():
    r = started()
    assert r.timer is not None
    spent = replace(r, timer=replace(r.timer, nag_day=date(2026, 11, 24), nags=3))
    now = local("2026-11-24 16:00")
    waiting = deadlines.decide(spent, now, RULES, urgent=False, can_escalate=False)
    assert waiting is not None and waiting.do is Do.WAIT and waiting.timer is not None
    assert waiting.timer.next_at == local("2026-11-25 07:30")
    next_day = replace(spent, timer=waiting.timer)
    nag = deadlines.decide(
        next_day, local("2026-11-25 07:30"), RULES, urgent=False, can_escalate=False
    )
    assert nag is not None and nag.do is Do.NAG and nag.timer is not None
    assert nag.timer.nags == 1 and nag.timer.nag_day == date(2026, 11, 25)


def test_a_budget_of_zero_never_nags_but_still_escalates():
    quiet = rules(daily_nags=0)
    r = started()
    wait = deadlines.decide(r, local("2026-11-24 12:30"), quiet, urgent=False, can_escalate=True)
    assert wait is not None and wait.do is Do.WAIT and wait.timer is not None
    assert wait.timer.next_at == local("2026-11-24 14:00")  # capped at the breach
    later = deadlines.decide(r, local("2026-11-24 14:00"), quiet, urgent=False, can_escalate=True)
    assert later is not None and later.do is Do.ESCALATE


@pytest.mark.parametrize(
    ("now", "do"), [("2026-11-30 15:59", None), ("2026-11-30 16:00", Do.EXPIRE)]
)
def test_a_resolved_report_expires_when_the_reporter_does_not_verify(now, do):
    r = deadlines.start(
        report(status=Status.RESOLVED),
        Window.VERIFY,
        local("2026-11-27 16:00"),
        RULES,
        urgent=False,
        can_escalate=True,
    )
    decision = deadlines.decide(r, local(now), RULES, urgent=False, can_escalate=True)
    assert (decision.do if decision else None) is do


@pytest.mark.parametrize(
    ("r", "do"),
    [
        (report(status=Status.CLOSED), Do.STOP),
        (report(status=Status.OPEN), Do.RESTART),  # no timer (a report from before deadlines)
        (replace(started(status=Status.ACCEPTED), timer=None), Do.RESTART),
    ],
)
def test_a_report_without_the_right_timer_is_restarted_or_stopped(r, do):
    decision = deadlines.decide(
        r, local("2026-11-24 12:00"), RULES, urgent=False, can_escalate=True
    )
    assert decision is not None and decision.do is do


def test_a_timer_of_the_wrong_window_is_restarted():
    r = started()
    wrong = replace(r, status=Status.ACCEPTED)  # accepted by code that forgot the clock
    decision = deadlines.decide(
        wrong, local("2026-11-24 12:00"), RULES, urgent=False, can_escalate=True
    )
    assert decision is not None and decision.do is Do.RESTART


def test_a_reminder_is_an_event_that_changes_no_status():
    r = started()
    decision = deadlines.decide(
        r, local("2026-11-24 11:30"), RULES, urgent=False, can_escalate=True
    )
    assert decision is not None and decision.timer is not None
    after, event = deadlines.reminder(r, decision.do, decision.timer, local("2026-11-24 11:30"))
    assert event.action is Action.REMIND and event.old is event.new is Status.OPEN
    assert event.actor_id is None
    assert after.timer == decision.timer


# 申请延期 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2", Span(2, "d")),
        ("3天", Span(3, "d")),
        ("1 个工作日", Span(1, "d")),
        ("3d", Span(3, "d")),
        ("4小时", Span(4, "h")),
        ("4h", Span(4, "h")),
        ("10", Span(10, "d")),
        ("11", None),
        ("0", None),
        ("73h", None),
        ("two", None),
        ("", None),
    ],
)
def test_the_extra_time_asked_for_is_read_from_what_was_typed(text, span):
    assert deadlines.parse_extension(text) == span


def test_an_approved_extension_moves_the_deadline_in_working_time():
    r = started(status=Status.ACCEPTED)  # due Friday 2026-11-27 10:00
    asked, event = deadlines.ask_extension(
        r, WORKER, local("2026-11-25 10:00"), Span(2, "d"), "等配件"
    )
    assert event.action is Action.ASK_EXTENSION and event.note == "等配件"
    assert deadlines.pending_extension(asked) == {
        "n": 1,
        "by": 101,
        "span": "2d",
        "reason": "等配件",
    }
    approved, ok = deadlines.approve_extension(
        asked, COMMUNITY, local("2026-11-25 11:00"), 1, RULES, urgent=False
    )
    assert ok.action is Action.EXTEND
    assert approved.due_at == local("2026-12-01 10:00")  # two working days after Friday 10:00
    assert ok.data["from"] == r.due_at.isoformat() and ok.data["to"] == approved.due_at.isoformat()
    assert deadlines.pending_extension(approved) is None
    assert approved.timer is not None and approved.timer.breach_at is not None
    assert approved.timer.breach_at > approved.due_at > approved.timer.next_at


def test_an_extension_asked_after_the_deadline_runs_from_the_approval():
    r = started()  # accept window, due 12:00
    asked, _ = deadlines.ask_extension(r, WORKER, local("2026-11-24 12:30"), Span(2, "h"), "外出")
    approved, _ = deadlines.approve_extension(
        asked, COMMUNITY, local("2026-11-24 13:30"), 1, RULES, urgent=False
    )
    assert approved.due_at == local("2026-11-24 15:30")


def test_only_one_extension_request_waits_at_a_time_and_a_decided_one_is_stale():
    r = started()
    asked, _ = deadlines.ask_extension(r, WORKER, local("2026-11-24 10:30"), Span(1, "d"), "原因")
    with pytest.raises(ExtensionError, match="already_pending"):
        deadlines.ask_extension(asked, WORKER, local("2026-11-24 10:40"), Span(1, "d"), "再次")
    denied, event = deadlines.deny_extension(asked, COMMUNITY, local("2026-11-24 11:00"), 1)
    assert event.action is Action.DENY_EXTENSION and denied.due_at == r.due_at
    with pytest.raises(ExtensionError, match="stale"):
        deadlines.approve_extension(
            denied, COMMUNITY, local("2026-11-24 11:01"), 1, RULES, urgent=False
        )
    again, event = deadlines.ask_extension(
        denied, WORKER, local("2026-11-24 11:05"), Span(1, "d"), "再"
    )
    assert event.data["request"] == 2
    with pytest.raises(ExtensionError, match="stale"):
        deadlines.deny_extension(again, COMMUNITY, local("2026-11-24 11:06"), 1)  # an old card


def test_only_the_holder_asks_for_an_extension():
    r = started()
    with pytest.raises(ExtensionError, match="not_holder"):
        deadlines.ask_extension(r, OTHER_WORKER, local("2026-11-24 10:30"), Span(1, "d"), "x")
    unassigned = started(assignee_id=None)
    deadlines.ask_extension(unassigned, WORKER, local("2026-11-24 10:30"), Span(1, "d"), "x")


@pytest.mark.parametrize(
    ("staff", "holder", "may"),
    [
        (COMMUNITY, "G1", True),
        (STREET, "G1", True),
        (ADMIN, "G1", True),
        (HEAD, "G1", False),  # same unit as the holder, not above it
        (WORKER, "G1", False),  # the assignee
        (OTHER_WORKER, "G1", False),
        (PARTNER, "G1", False),
        (COMMUNITY, "C1", False),
        (STREET, "C1", True),
        (COMMUNITY, "S1", False),  # below the holder
    ],
)
def test_only_staff_of_a_unit_above_the_holder_decide_an_extension(staff, holder, may):
    r = started(holder_unit=holder, assignee_id=None if holder != "G1" else WORKER.user_id)
    assert deadlines.may_decide_extension(staff, r, TREE) is may


@pytest.mark.parametrize(
    ("holder", "deciders"), [("G1", [201]), ("C1", [301]), ("S1", [901]), ("D1", [901])]
)
def test_the_tier_above_is_asked_to_decide(holder, deciders):
    r = report(holder_unit=holder)
    assert [s.user_id for s in deadlines.extension_deciders(r, TREE, STAFF)] == deciders


# Reopen ----------------------------------------------------------------------------------


def test_not_solved_reopens_the_report_one_tier_up():
    resolved = report(status=Status.RESOLVED)
    up = Route("C1", Tier.COMMUNITY, None)
    after, event = domain.reopen(resolved, 5001, local("2026-11-25 10:00"), up=up)
    assert after.status is Status.OPEN
    assert (after.holder_unit, after.tier, after.assignee_id) == ("C1", Tier.COMMUNITY, None)
    assert event.action is Action.REOPEN
    assert event.data == {"from_unit": "G1", "to_unit": "C1", "tier": "community"}


def test_not_solved_at_the_top_tier_stays_with_the_district():
    resolved = report(status=Status.RESOLVED, holder_unit="D1", tier=Tier.DISTRICT, assignee_id=9)
    after, _ = domain.reopen(resolved, 5001, local("2026-11-25 10:00"), up=None)
    assert (after.holder_unit, after.tier, after.assignee_id) == ("D1", Tier.DISTRICT, 9)
    assert after.status is Status.OPEN


def test_quiet_hours_that_do_not_wrap_midnight_work_too():
    lunch = rules(quiet_start=time(12, 0), quiet_end=time(13, 30))
    assert lunch.in_quiet_hours(local("2026-11-24 12:30"))
    assert not lunch.in_quiet_hours(local("2026-11-24 23:30"))
    assert RULES.in_quiet_hours(local("2026-11-24 23:30"))
    assert RULES.in_quiet_hours(local("2026-11-24 07:00"))
    assert not RULES.in_quiet_hours(local("2026-11-24 07:30"))
