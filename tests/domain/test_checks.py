"""核实 and 复查 (bot/domain/checks.py, the GATED moves, the check and review clocks): who may,
where each move goes, and that nothing reaches the reporter's confirmation without a review."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot.domain import checks, deadlines
from bot.domain import reports as domain
from bot.domain.calendar import WorkCalendar
from bot.domain.checks import CheckError
from bot.domain.deadlines import Do, Policy, Rules, Span
from bot.domain.people import Role, Staff
from bot.domain.reports import TRANSITIONS, Action, Report, Status, Window
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
        Unit("B1", "1栋", "building", "G1"),
    ]
)
WORKER = Staff(101, "网格员", Role.GRID_WORKER, "G1")
OTHER_WORKER = Staff(102, "网格员二", Role.GRID_WORKER, "G2")
HEAD = Staff(103, "网格长", Role.GRID_HEAD, "G1")
COMMUNITY = Staff(201, "社区", Role.COMMUNITY, "C1")
STREET = Staff(301, "街道", Role.STREET, "S1")
ADMIN = Staff(901, "管理员", Role.ADMIN, "D1")
PARTNER = Staff(401, "物业", Role.PARTNER, "C1", ("litter",))
STAFF = [WORKER, OTHER_WORKER, HEAD, COMMUNITY, STREET, ADMIN, PARTNER]
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)

NEW = Report(
    reporter_id=5001,
    category="litter",
    unit="B1",
    description="垃圾",
    photos=("p",),
    created_at=NOW,
    holder_unit="C1",  # wherever routing would have sent it
    tier=Tier.COMMUNITY,
    assignee_id=COMMUNITY.user_id,
    id=1,
)
CHECKING = checks.held_for_check(NEW, TREE)
ACCEPTED = replace(NEW, holder_unit="G1", tier=Tier.GRID, status=Status.ACCEPTED, assignee_id=101)
REVIEWING, _ = domain.resolve(ACCEPTED, WORKER, NOW, photo="after", note="好了", review=True)


def test_a_report_held_for_its_check_waits_unassigned_at_the_grid_of_its_place():
    assert (CHECKING.status, CHECKING.holder_unit, CHECKING.tier) == (
        Status.CHECKING,
        "G1",
        Tier.GRID,
    )
    assert CHECKING.assignee_id is None
    assert domain.submit(CHECKING, actor_id=5001, at=NOW).new is Status.CHECKING
    assert domain.submit(NEW, actor_id=5001, at=NOW).new is Status.OPEN


@pytest.mark.parametrize(
    ("who", "verifier"),
    [(WORKER, True), (OTHER_WORKER, False), (HEAD, False), (COMMUNITY, False), (None, False)],
)
def test_only_the_verifier_roles_of_the_place_check(who, verifier):
    assert checks.may_check(who, CHECKING, TREE) is verifier
    assert checks.may_check(who, replace(CHECKING, status=Status.OPEN), TREE) is False


def test_verifiers_are_the_roles_in_the_named_set_at_the_place():
    assert checks.verifiers(CHECKING, TREE, STAFF) == [WORKER]
    at_building = Staff(150, "兼职网格员", Role.GRID_WORKER, "B1")
    assert checks.verifiers(CHECKING, TREE, [*STAFF, at_building]) == [at_building, WORKER]
    assert checks.may_check(at_building, CHECKING, TREE)
    not_a_verifier = Staff(151, "楼栋长", Role.GRID_HEAD, "B1")  # until its role joins the set
    assert not checks.may_check(not_a_verifier, CHECKING, TREE)


def test_confirm_dispatches_where_routing_says_and_dismiss_closes_as_rejected():
    to = Route("G1", Tier.GRID, WORKER)
    after, event = checks.confirm_check(CHECKING, WORKER, NOW, to, TREE)
    assert (after.status, after.holder_unit, after.assignee_id) == (Status.OPEN, "G1", 101)
    assert event.action is Action.CHECK_CONFIRM and event.data["assignee"] == 101
    closed, event = checks.dismiss_check(CHECKING, WORKER, NOW, "没有垃圾", TREE)
    assert (closed.status, closed.reject_reason, event.note) == (
        Status.REJECTED,
        "invalid",
        "没有垃圾",
    )
    with pytest.raises(CheckError):
        checks.confirm_check(CHECKING, OTHER_WORKER, NOW, to, TREE)
    lapsed, event = checks.lapse_check(CHECKING, NOW, to)
    assert (lapsed.status, event.action, event.actor_id) == (Status.OPEN, Action.CHECK_LAPSE, None)


@pytest.mark.parametrize(
    ("who", "reviews"),
    [
        (HEAD, True),
        (COMMUNITY, True),
        (STREET, True),
        (ADMIN, True),
        (WORKER, False),  # the resolver and holder
        (OTHER_WORKER, False),
        (PARTNER, False),
        (None, False),
    ],
)
def test_reviewers_are_above_the_holder_and_never_its_resolver(who, reviews):
    assert checks.may_review(who, REVIEWING, TREE) is reviews


def test_a_supervisor_who_resolved_it_may_not_review_it_and_the_review_goes_above():
    by_head, _ = domain.resolve(ACCEPTED, HEAD, NOW, photo="a", note="n", review=True)
    assert checks.may_review(HEAD, by_head, TREE) is False
    assert checks.reviewers(by_head, TREE, STAFF) == [COMMUNITY]
    assert checks.reviewers(REVIEWING, TREE, STAFF) == [HEAD]
    assert checks.review_above(REVIEWING, TREE, STAFF) == "C1"
    up, _ = checks.escalate_review(REVIEWING, NOW, "C1")
    assert checks.reviewers(up, TREE, STAFF) == [COMMUNITY]
    assert checks.may_review(HEAD, up, TREE) is False  # the review is above them now
    assert checks.review_above(up, TREE, STAFF) == "S1"
    top = replace(up, extra={**up.extra, "review_at": "D1"})
    assert checks.review_above(top, TREE, [s for s in STAFF if s.unit != "D1"]) is None


def test_pass_goes_to_the_reporter_and_fail_back_to_the_holder():
    passed, _ = checks.pass_review(REVIEWING, HEAD, NOW, TREE)
    assert passed.status is Status.RESOLVED
    failed, event = checks.fail_review(REVIEWING, HEAD, NOW, "还有", TREE)
    assert (failed.status, failed.assignee_id, event.note) == (Status.ACCEPTED, 101, "还有")
    with pytest.raises(CheckError):
        checks.pass_review(REVIEWING, WORKER, NOW, TREE)


def test_nothing_but_a_passed_review_leaves_reviewing_for_the_reporter():
    into_resolved = {
        (s, a) for (s, a), new in TRANSITIONS.items() if new is Status.RESOLVED and s is not new
    }
    assert into_resolved == {
        (Status.OPEN, Action.RESOLVE),  # a category without 复查 (GATED sends it to REVIEWING)
        (Status.ACCEPTED, Action.RESOLVE),
        (Status.REVIEWING, Action.REVIEW_PASS),
    }
    assert domain.GATED[(Status.ACCEPTED, Action.RESOLVE)] is Status.REVIEWING
    out_of_reviewing = {a for (s, a) in TRANSITIONS if s is Status.REVIEWING}
    assert Action.CONFIRM not in out_of_reviewing and Action.REOPEN not in out_of_reviewing
    assert Action.RESOLVE not in out_of_reviewing and Action.EXPIRE not in out_of_reviewing
    for action in Action:
        if action is Action.REVIEW_PASS:
            continue
        new = TRANSITIONS.get((Status.REVIEWING, action))
        assert new is not Status.RESOLVED and new not in (Status.CLOSED, Status.CLOSED_UNVERIFIED)


@pytest.mark.parametrize(
    ("report", "window", "span"),
    [(CHECKING, Window.CHECK, Span(1, "h")), (REVIEWING, Window.REVIEW, Span(2, "h"))],
)
def test_each_step_runs_its_own_clock_and_escalates_once_past_it(report, window, span):
    rules = Rules(
        Policy(check_within=Span(1, "h"), review_within=Span(2, "h")),
        WorkCalendar(SHANGHAI, library=chinese_calendar.is_workday),
    )
    started = deadlines.start(report, window, NOW, rules, urgent=True, can_escalate=True)
    assert started.timer is not None and started.timer.window is window
    assert started.due_at == NOW + span.length(day=timedelta(days=1))
    later = started.timer.breach_at
    assert later is not None
    decision = deadlines.decide(started, later, rules, urgent=True, can_escalate=True)
    assert decision is not None and decision.do is Do.ESCALATE
