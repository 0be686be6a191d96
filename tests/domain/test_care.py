"""五必访 rules: cadence and month ends, the reminder → due → missed → escalated ladder, quiet
hours, and who may see a household's notes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import care
from bot.domain.care import (
    Cadence,
    CareAction,
    CareError,
    CarePolicy,
    Household,
    Outcome,
    QuietHours,
    Stage,
    Visit,
    VisitorKind,
)
from bot.domain.people import Role, Staff
from bot.domain.units import Unit, UnitTree

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = CarePolicy(tz=SHANGHAI)  # lead 1 day, 09:00, grace 2, nag daily, escalate after 2


def local(y: int, mo: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def household(due_on: date, stage: Stage = Stage.SCHEDULED, nags: int = 0, **kw) -> Household:
    fields = dict(
        kind="empty_nest",
        unit="B1",
        label="3-502",
        cadence=Cadence.MONTHLY,
        visitor_id=101,
        visitor_kind=VisitorKind.STAFF,
        due_on=due_on,
        next_at=None,
        created_by=201,
        created_at=local(2026, 10, 1),
        stage=stage,
        nags=nags,
        id=1,
    )
    fields.update(kw)
    return Household(**fields)


# Cadence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across the year
        (date(2026, 10, 31), 3, date(2027, 1, 31)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
    ],
)
def test_adding_months_clamps_to_the_end_of_a_shorter_month(day, months, expected):
    assert care.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        (Cadence.WEEKLY, date(2026, 2, 7)),
        (Cadence.FORTNIGHTLY, date(2026, 2, 14)),
        (Cadence.MONTHLY, date(2026, 2, 28)),
        (Cadence.QUARTERLY, date(2026, 4, 30)),
    ],
)
def test_each_cadence_moves_the_due_date_from_the_end_of_january(cadence, expected):
    assert care.after_cadence(date(2026, 1, 31), cadence) == expected


@pytest.mark.parametrize(
    ("cadence", "outcome", "expected"),
    [
        (Cadence.MONTHLY, Outcome.MET, date(2026, 12, 24)),
        (Cadence.MONTHLY, Outcome.REFUSED, date(2026, 12, 24)),
        (Cadence.MONTHLY, Outcome.NOT_HOME, date(2026, 11, 27)),  # retry within 3 days
        (Cadence.WEEKLY, Outcome.NOT_HOME, date(2026, 11, 27)),
        (Cadence.QUARTERLY, Outcome.MET, date(2027, 2, 24)),
    ],
)
def test_the_next_visit_falls_due_from_the_cadence_and_sooner_when_nobody_was_home(
    cadence, outcome, expected
):
    assert care.next_due(date(2026, 11, 24), cadence, outcome, POLICY) == expected


def test_a_retry_after_not_home_is_never_later_than_the_regular_cadence():
    policy = CarePolicy(tz=SHANGHAI, not_home_retry_days=10)
    day = date(2026, 11, 24)
    assert care.next_due(day, Cadence.WEEKLY, Outcome.NOT_HOME, policy) == date(2026, 12, 1)


# The ladder -------------------------------------------------------------------------------

DUE = date(2026, 11, 27)  # a Friday


def test_the_ladder_falls_at_nine_local_on_its_days():
    m = care.moments(DUE, POLICY)
    assert m.remind_at == local(2026, 11, 26)
    assert m.due_at == local(2026, 11, 27)
    assert m.missed_at == local(2026, 11, 30)  # due date + 2 days of grace, then missed
    assert m.escalate_at == local(2026, 12, 2)
    assert m.due_at.astimezone(UTC) == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stage", "nags", "now", "action", "after", "after_nags"),
    [
        (Stage.SCHEDULED, 0, local(2026, 11, 26, 8, 59), None, Stage.SCHEDULED, 0),
        (Stage.SCHEDULED, 0, local(2026, 11, 26), CareAction.REMIND, Stage.REMINDED, 0),
        (Stage.REMINDED, 0, local(2026, 11, 26, 18), None, Stage.REMINDED, 0),
        (Stage.REMINDED, 0, local(2026, 11, 27), CareAction.DUE, Stage.DUE, 0),
        # down over the reminder: only the due notice, not both
        (Stage.SCHEDULED, 0, local(2026, 11, 27, 10), CareAction.DUE, Stage.DUE, 0),
        (Stage.DUE, 0, local(2026, 11, 29, 20), None, Stage.DUE, 0),
        (Stage.DUE, 0, local(2026, 11, 30), CareAction.MISS, Stage.MISSED, 1),
        # down for a day and a half past the miss: one message that counts as both nags
        (Stage.SCHEDULED, 0, local(2026, 12, 1, 12), CareAction.MISS, Stage.MISSED, 2),
        (Stage.MISSED, 1, local(2026, 12, 1), CareAction.NAG, Stage.MISSED, 2),
        (Stage.MISSED, 2, local(2026, 12, 1, 15), None, Stage.MISSED, 2),
        (Stage.MISSED, 2, local(2026, 12, 2), CareAction.ESCALATE, Stage.ESCALATED, 2),
        # down for weeks: straight to the escalation, once
        (Stage.SCHEDULED, 0, local(2026, 12, 20), CareAction.ESCALATE, Stage.ESCALATED, 0),
        (Stage.ESCALATED, 2, local(2026, 12, 20), None, Stage.ESCALATED, 2),
    ],
)
def test_the_sweep_takes_the_highest_rung_reached_and_never_goes_back(
    stage, nags, now, action, after, after_nags
):
    decision = care.decide(household(DUE, stage, nags), now, POLICY)
    assert (decision.action, decision.stage, decision.nags) == (action, after, after_nags)


@pytest.mark.parametrize(
    ("stage", "nags", "expected"),
    [
        (Stage.SCHEDULED, 0, local(2026, 11, 26)),
        (Stage.REMINDED, 0, local(2026, 11, 27)),
        (Stage.DUE, 0, local(2026, 11, 30)),
        (Stage.MISSED, 1, local(2026, 12, 1)),
        (Stage.MISSED, 2, local(2026, 12, 2)),  # the escalation comes before a third nag
        (Stage.MISSED, 5, local(2026, 12, 2)),
        (Stage.ESCALATED, 2, None),
    ],
)
def test_the_next_look_is_the_next_rung(stage, nags, expected):
    assert care.next_moment(DUE, stage, nags, POLICY) == expected


def test_acting_twice_at_the_same_moment_sends_one_message():
    now = local(2026, 12, 20)
    first = care.decide(household(DUE), now, POLICY)
    again = care.decide(household(DUE, first.stage, first.nags, next_at=first.next_at), now, POLICY)
    assert first.action is CareAction.ESCALATE
    assert again.action is None and again.next_at is None


def test_a_missed_visit_found_in_quiet_hours_waits_for_the_morning_unchanged():
    late = local(2026, 11, 30, 23, 15)
    decision = care.decide(household(DUE, Stage.DUE), late, POLICY)
    assert decision.action is CareAction.DEFER
    assert decision.stage is Stage.DUE and decision.nags == 0
    assert decision.next_at == local(2026, 12, 1, 7, 30)
    morning = care.decide(household(DUE, Stage.DUE), local(2026, 12, 1, 7, 30), POLICY)
    assert morning.action is CareAction.MISS


def test_quiet_hours_after_midnight_end_the_same_morning():
    decision = care.decide(household(DUE, Stage.DUE), local(2026, 12, 1, 3, 0), POLICY)
    assert decision.action is CareAction.DEFER
    assert decision.next_at == local(2026, 12, 1, 7, 30)


def test_nothing_due_in_quiet_hours_is_not_a_deferral():
    decision = care.decide(household(DUE), local(2026, 11, 20, 23, 0), POLICY)
    assert decision.action is None
    assert decision.next_at == local(2026, 11, 26)


def test_without_a_lead_the_first_message_is_on_the_due_date():
    policy = CarePolicy(tz=SHANGHAI, lead_days=0)
    assert care.decide(household(DUE), local(2026, 11, 26, 12), policy).action is None
    assert care.next_moment(DUE, Stage.SCHEDULED, 0, policy) == local(2026, 11, 27)
    assert care.decide(household(DUE), local(2026, 11, 27), policy).action is CareAction.DUE


def test_escalating_at_once_when_the_escalation_wait_is_zero():
    policy = CarePolicy(tz=SHANGHAI, escalate_after_days=0)
    decision = care.decide(household(DUE, Stage.DUE), local(2026, 11, 30), policy)
    assert decision.action is CareAction.ESCALATE


@pytest.mark.parametrize(
    ("start", "end", "at", "quiet"),
    [
        (time(22), time(7, 30), time(22), True),
        (time(22), time(7, 30), time(23, 59), True),
        (time(22), time(7, 30), time(7, 29), True),
        (time(22), time(7, 30), time(7, 30), False),
        (time(22), time(7, 30), time(12), False),
        (time(22), time(7, 30), time(21, 59), False),
        (time(13), time(14), time(13, 30), True),  # a window that does not wrap midnight
        (time(13), time(14), time(14), False),
        (time(0), time(0), time(3), False),  # no quiet hours at all
    ],
)
def test_quiet_hours(start, end, at, quiet):
    assert QuietHours(start, end).contains(at) is quiet


# Registering, logging, editing --------------------------------------------------------------


def test_a_new_household_is_first_due_one_cadence_after_registration():
    registered = care.register(
        kind="illness",
        unit="B1",
        label="  3 单元   502 ",
        cadence=Cadence.WEEKLY,
        visitor_id=101,
        visitor_kind=VisitorKind.STAFF,
        notes="糖尿病，女儿电话 138…",
        by=201,
        at=local(2026, 11, 24, 10),
        policy=POLICY,
    )
    assert registered.label == "3 单元 502"
    assert registered.due_on == date(2026, 12, 1)
    assert registered.stage is Stage.SCHEDULED
    assert registered.next_at == local(2026, 11, 30)


@pytest.mark.parametrize(
    ("label", "key"), [("   ", "care.label_empty"), ("x" * 61, "care.label_too_long")]
)
def test_a_bad_label_is_refused_with_its_reason(label, key):
    with pytest.raises(CareError) as raised:
        care.check_label(label)
    assert raised.value.key == key


def test_logging_a_visit_sets_the_next_due_date_and_resets_the_ladder():
    before = household(DUE, Stage.ESCALATED, 3)
    visit = Visit(1, 101, VisitorKind.STAFF, local(2026, 12, 3, 15), Outcome.MET, DUE, 4)
    after = care.log_visit(before, visit, POLICY)
    assert after.due_on == date(2027, 1, 3)
    assert (after.stage, after.nags) == (Stage.SCHEDULED, 0)
    assert after.last_visit_on == date(2026, 12, 3)
    assert after.next_at == local(2027, 1, 2)


def test_a_visit_late_in_the_evening_counts_on_its_local_date():
    visit = Visit(1, 101, VisitorKind.STAFF, local(2026, 11, 30, 23, 30), Outcome.MET, DUE, 3)
    after = care.log_visit(household(DUE), visit, POLICY)
    assert after.last_visit_on == date(2026, 11, 30)  # 15:30 UTC, but the 30th in Shanghai
    assert after.due_on == date(2026, 12, 30)


def test_a_wellbeing_score_outside_one_to_five_is_refused():
    visit = Visit(1, 101, VisitorKind.STAFF, local(2026, 12, 3), Outcome.MET, DUE, 6)
    with pytest.raises(CareError):
        care.log_visit(household(DUE), visit, POLICY)


def test_changing_the_cadence_counts_from_the_last_visit():
    before = household(DUE, Stage.MISSED, 1, last_visit_on=date(2026, 10, 27))
    after = care.change_cadence(before, Cadence.WEEKLY, POLICY)
    assert after.due_on == date(2026, 11, 3)
    assert after.stage is Stage.SCHEDULED


def test_only_a_volunteers_unconfirmed_visit_needs_confirmation():
    at = local(2026, 12, 3)
    staff_visit = Visit(1, 101, VisitorKind.STAFF, at, Outcome.MET, DUE)
    volunteer_visit = Visit(1, 7001, VisitorKind.VOLUNTEER, at, Outcome.MET, DUE)
    assert not care.needs_confirmation(staff_visit)
    assert care.needs_confirmation(volunteer_visit)
    assert not care.needs_confirmation(
        Visit(1, 7001, VisitorKind.VOLUNTEER, at, Outcome.MET, DUE, confirmed_at=at)
    )


# Who may see and do what --------------------------------------------------------------------

TREE = UnitTree(
    [
        Unit("D1", "区", "district"),
        Unit("S1", "街道", "street", "D1"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("C2", "朝阳社区", "community", "S1"),
        Unit("G1", "一网格", "grid", "C1"),
        Unit("G2", "二网格", "grid", "C1"),
        Unit("G3", "三网格", "grid", "C2"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)


@pytest.mark.parametrize(
    ("role", "unit", "sees"),
    [
        (Role.GRID_WORKER, "G1", True),  # the building's own grid
        (Role.GRID_HEAD, "G1", True),
        (Role.COMMUNITY, "C1", True),
        (Role.STREET, "S1", True),
        (Role.DISTRICT, "D1", True),
        (Role.ADMIN, "D1", True),
        (Role.GRID_WORKER, "G2", False),  # the sibling grid
        (Role.COMMUNITY, "C2", False),  # the sibling community
        (Role.GRID_WORKER, "G3", False),
        (Role.PARTNER, "C1", False),  # 物业 and departments are not care staff
    ],
)
def test_notes_are_for_care_staff_at_the_unit_or_above_only(role, unit, sees):
    staff = Staff(1, "x", role, unit)
    assert care.may_manage(staff, household(DUE), TREE) is sees


def test_nobody_who_is_not_staff_manages_a_household():
    assert care.may_manage(None, household(DUE), TREE) is False


def test_the_assigned_visitor_may_log_but_not_manage():
    volunteer_id = 7001
    target = household(DUE, visitor_id=volunteer_id, visitor_kind=VisitorKind.VOLUNTEER)
    assert care.may_log(volunteer_id, None, target, TREE)
    assert not care.may_manage(None, target, TREE)
    assert not care.may_log(7002, None, target, TREE)
    assert not care.may_log(volunteer_id, None, household(DUE, active=False), TREE)


def test_a_missed_visit_escalates_to_the_community_and_confirmations_go_to_the_grid():
    staff = [
        Staff(101, "网格员", Role.GRID_WORKER, "G1"),
        Staff(201, "社区", Role.COMMUNITY, "C1"),
        Staff(202, "社区2", Role.COMMUNITY, "C1"),
        Staff(401, "物业", Role.PARTNER, "C1"),
        Staff(501, "隔壁社区", Role.COMMUNITY, "C2"),
        Staff(901, "管理员", Role.ADMIN, "C1"),
    ]
    assert [s.user_id for s in care.escalation_targets("B1", TREE, staff)] == [201, 202]
    assert [s.user_id for s in care.confirmers("B1", TREE, staff)] == [101]


def test_an_unstaffed_community_escalates_to_the_street():
    staff = [Staff(301, "街道", Role.STREET, "S1")]
    assert [s.user_id for s in care.escalation_targets("B1", TREE, staff)] == [301]


# Months -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", (2026, 11)),
        ("2026-1", (2026, 1)),
        ("2026-13", None),
        ("26-11", None),
        ("2026/11", None),
        ("november", None),
        ("2026-00", None),
    ],
)
def test_parsing_a_month(text, expected):
    assert care.parse_month(text) == expected


def test_a_month_runs_from_local_midnight_to_local_midnight():
    start, end = care.month_bounds(2026, 12, SHANGHAI)
    assert start.astimezone(UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert end - start == timedelta(days=31)
