"""bot/domain/callins.py: who a party covers, the steps allowed from each state, the overdue
ladder (nag, then one level per interval; after downtime one step, the most advanced)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import chinese_calendar
import pytest

from bot.domain import callins
from bot.domain.calendar import WorkCalendar
from bot.domain.callins import CallIn, CallInError, Kind, Party, Policy, State
from bot.domain.deadlines import Policy as DeadlinePolicy
from bot.domain.deadlines import Rules, Span
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, Status
from bot.domain.units import Tier, Unit, UnitTree
from tests.domain.test_deadlines import SHANGHAI, local

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
TREE = UnitTree(
    [
        Unit("D1", "区", "district"),
        Unit("S1", "街道", "street", "D1"),
        Unit("C1", "社区一", "community", "S1"),
        Unit("C2", "社区二", "community", "S1"),
        Unit("G1", "网格一", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
        Unit("G3", "网格三", "grid", "C2"),
        Unit("B4", "4栋", "building", "G3"),
    ]
)
REPORT = Report(
    reporter_id=5001,
    category="litter",
    unit="B1",
    description="垃圾",
    photos=(),
    created_at=NOW,
    holder_unit="G1",
    tier=Tier.GRID,
    status=Status.ACCEPTED,
    assignee_id=101,
    id=1,
)
RULES = Rules(DeadlinePolicy(), WorkCalendar(SHANGHAI, library=chinese_calendar.is_workday))
POLICY = Policy(Span(4, "h"), Span(1, "d"), Span(2, "h"))


def party(code: str, kind: Kind, units=("C1",), categories=()) -> Party:
    return Party(code, code, code, kind, tuple(categories), tuple(units), (400,))


@pytest.mark.parametrize(
    ("who", "report", "covers"),
    [
        (party("cg", Kind.DEPARTMENT, ("S1",), ("litter",)), REPORT, True),
        (party("sj", Kind.DEPARTMENT, ("S1",), ("property",)), REPORT, False),  # category
        (party("wy", Kind.PROPERTY, ("C2",)), REPORT, False),  # another community
        (party("wy", Kind.PROPERTY, ("C1",)), REPORT, True),  # every category
        (party("wy", Kind.PROPERTY, ("C1",)), replace(REPORT, unit="NOPE"), False),
    ],
)
def test_a_party_covers_its_categories_at_its_units_and_below(who, report, covers):
    assert who.covers(report, TREE) is covers


def test_tripartite_takes_one_of_each_kind_that_covers_the_place():
    parties = [
        party("dep", Kind.DEPARTMENT),
        party("wy2", Kind.PROPERTY, ("C2",)),
        party("ywh", Kind.OWNERS_COMMITTEE, ("G1",)),
        party("wy", Kind.PROPERTY),
        party("jwh", Kind.RESIDENTS_COMMITTEE),
        party("wy3", Kind.PROPERTY),
    ]
    found = callins.tripartite(parties, REPORT, TREE)
    assert [p.code for p in found] == ["wy", "jwh", "ywh"]


def called() -> CallIn:
    city = party("cg", Kind.DEPARTMENT, ("S1",))
    callin, _ = callins.call(REPORT, city, by=101, at=NOW, rules=RULES, policy=POLICY)
    return replace(callin, id=7)


def acked() -> CallIn:
    return callins.acknowledge(called(), by=400, at=NOW, rules=RULES, policy=POLICY)[0]


def done() -> CallIn:
    return callins.finish(acked(), by=400, at=NOW, note="ok", photo=None)[0]


def withdrawn() -> CallIn:
    return callins.withdraw(called(), by=101, at=NOW, reason="误派")[0]


def ack(c: CallIn) -> object:
    return callins.acknowledge(c, by=400, at=NOW, rules=RULES, policy=POLICY)


def finish(c: CallIn) -> object:
    return callins.finish(c, by=400, at=NOW, note="ok", photo=None)


def pull(c: CallIn) -> object:
    return callins.withdraw(c, by=101, at=NOW, reason="x")


@pytest.mark.parametrize(
    ("state", "step", "refusal", "after"),
    [
        (called, ack, None, State.ACKED),
        (called, finish, "callin.ack_first", None),
        (called, pull, None, State.WITHDRAWN),
        (acked, ack, "callin.already_acked", None),
        (acked, finish, None, State.DONE),
        (acked, pull, None, State.WITHDRAWN),
        (done, ack, "callin.not_live", None),
        (done, finish, "callin.not_live", None),
        (done, pull, "callin.not_live", None),
        (withdrawn, ack, "callin.not_live", None),
        (withdrawn, finish, "callin.not_live", None),
        (withdrawn, pull, "callin.not_live", None),
    ],
)
def test_each_step_is_allowed_only_from_its_states(state, step, refusal, after):
    if refusal is not None:
        with pytest.raises(CallInError) as refused:
            step(state())
        assert refused.value.key == refusal
    else:
        moved, event = step(state())
        assert moved.state is after
        assert event.kind.value == after.value


def test_the_clock_runs_in_working_time_and_restarts_on_acknowledgement():
    callin = called()
    # 10:00 + 4 working hours, the lunch break (12:00-13:30) skipped: Tuesday 15:30 local
    assert callin.due_at == NOW + timedelta(hours=5, minutes=30)
    later = NOW + timedelta(hours=1)
    after, _ = callins.acknowledge(callin, by=400, at=later, rules=RULES, policy=POLICY)
    assert after.due_at is not None and after.due_at > callin.due_at
    assert after.stage == 0 and after.next_at == after.due_at
    assert callins.finish(after, by=400, at=later, note=None, photo="p")[0].next_at is None
    with pytest.raises(ValueError):
        callins.finish(after, by=400, at=later, note=None, photo=None)


@pytest.mark.parametrize(
    ("late", "stage", "more"),
    [
        (timedelta(0), 1, True),  # due: the party is nagged
        (timedelta(hours=1), 1, True),
        (timedelta(hours=2), 2, True),  # one interval on: the holder
        (timedelta(hours=3, minutes=59), 2, True),
        (timedelta(days=30), 3, False),  # long downtime: straight to the top, once
    ],
)
def test_an_overdue_call_in_climbs_one_step_per_interval(late, stage, more):
    callin = called()
    assert callin.due_at is not None
    # due Tuesday 15:30 local; the intervals are 2 working hours
    due = callins.overdue(callin, callin.due_at + late, RULES, POLICY, levels=2, urgent=False)
    assert due.stage == stage
    assert (due.next_at is not None) is more


# Quiet hours 16:00-20:00 (a day-time setting), to see a nag wait for an escalation due sooner
DAY_QUIET = Rules(DeadlinePolicy(quiet_start=time(16, 0), quiet_end=time(20, 0)), RULES.calendar)
DAILY = Policy(Span(4, "h"), Span(1, "d"), Span(1, "d"))  # escalation one working day on


@pytest.mark.parametrize(
    ("now", "urgent", "rules", "policy", "stage", "next_at"),
    [
        # due Tuesday 15:30 local; with DAILY the escalation is Wednesday 15:30
        ("2026-11-24 21:59", False, RULES, DAILY, 1, "2026-11-25 15:30"),  # before quiet hours
        ("2026-11-24 23:00", False, RULES, DAILY, 0, "2026-11-25 07:30"),  # waits for their end
        ("2026-11-25 03:00", False, RULES, DAILY, 0, "2026-11-25 07:30"),  # after midnight too
        ("2026-11-25 07:30", False, RULES, DAILY, 1, "2026-11-25 15:30"),  # their end: the nag
        ("2026-11-24 23:00", True, RULES, DAILY, 1, "2026-11-25 15:30"),  # urgent: no wait
        # with POLICY the escalation (17:30) comes before quiet hours end (20:00)
        ("2026-11-24 16:00", False, DAY_QUIET, POLICY, 0, "2026-11-24 17:30"),
        ("2026-11-24 17:30", False, DAY_QUIET, POLICY, 2, "2026-11-25 10:30"),  # not held back
    ],
)
def test_a_nag_due_in_quiet_hours_waits_for_their_end_unless_the_report_is_urgent(
    now, urgent, rules, policy, stage, next_at
):
    callin = called()
    assert callin.due_at == local("2026-11-24 15:30")
    due = callins.overdue(callin, local(now), rules, policy, levels=2, urgent=urgent)
    assert due.stage == stage
    assert due.next_at == local(next_at)


def test_escalation_goes_to_staffed_units_above_the_holder():
    staff = [
        Staff(201, "社区", Role.COMMUNITY, "C1"),
        Staff(401, "物业", Role.PARTNER, "S1"),
        Staff(901, "管理员", Role.ADMIN, "D1"),
    ]
    assert callins.escalation_units(REPORT, TREE, staff) == ["C1"]
    assert callins.is_blocking([called()]) and not callins.is_blocking([done(), withdrawn()])
