"""回访 rules (bot/domain/revisit.py) and what its answers count for in 满意率
(bot/domain/appraisal.py outcome) — table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.appraisal import History, Step, outcome
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, ReportEvent, Status
from bot.domain.revisit import (
    AlreadyRecorded,
    Revisit,
    State,
    callers,
    handlers_of,
    offer,
    record,
    step_due,
)
from bot.domain.revisit import Step as Do
from bot.domain.units import Unit, UnitTree

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TREE = UnitTree(
    [
        Unit("D1", "区", "district"),
        Unit("S1", "街道", "street", "D1"),
        Unit("C1", "社区", "community", "S1"),
        Unit("G1", "网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
        Unit("X1", "独立片区", "area"),  # no community above it
    ]
)
WORKER = Staff(101, "网格员", Role.GRID_WORKER, "G1")
HEAD = Staff(103, "网格长", Role.GRID_HEAD, "G1")
COMMUNITY = Staff(201, "社区", Role.COMMUNITY, "C1")
COMMUNITY_2 = Staff(202, "社区二", Role.COMMUNITY, "C1")
PARTNER = Staff(401, "物业", Role.PARTNER, "C1", ("property",))
STREET = Staff(301, "街道", Role.STREET, "S1")
ALONG = [WORKER, HEAD, COMMUNITY, COMMUNITY_2, PARTNER, STREET]


@pytest.mark.parametrize(
    ("case", "unit", "handlers", "expected"),
    [
        ("community staff over the case", "B1", {101}, ("C1", [201, 202])),
        ("a community handler is left out", "B1", {101, 201}, ("C1", [202])),
        ("everyone there handled it: the street", "B1", {201, 202}, ("S1", [301])),
        ("no community above: the unit's top", "X1", set(), (None, [])),
    ],
)
def test_the_callers_are_community_staff_over_the_case_who_did_not_handle_it(
    case, unit, handlers, expected
):
    found_unit, found = callers(ALONG, TREE, unit, "community", frozenset(handlers))
    assert (found_unit, [s.user_id for s in found]) == expected


def test_the_handlers_are_whoever_accepted_or_resolved_it():
    def event(action: Action, actor: int | None) -> ReportEvent:
        return ReportEvent(action, Status.OPEN, Status.OPEN, actor, T0)

    events = [
        event(Action.SUBMIT, 5001),
        event(Action.ACCEPT, 101),
        event(Action.TRANSFER, 103),
        event(Action.RESOLVE, 102),
        event(Action.EXPIRE, None),
    ]
    assert handlers_of(events) == {101, 102}


OPENED = offer(Revisit(1, T0, id=9), 3 * DAY)
REMINDED = replace(OPENED, stage=1, next_at=T0 + 5 * DAY)


@pytest.mark.parametrize(
    ("case", "task", "now", "expected"),
    [
        ("in time", OPENED, T0 + 2 * DAY, None),
        ("the clock passed: remind", OPENED, T0 + 3 * DAY, Do.REMIND),
        ("reminded, not yet the street's time", REMINDED, T0 + 4 * DAY, None),
        ("after downtime: the street at once", OPENED, T0 + 9 * DAY, Do.STREET),
        ("new: not the clock's business", Revisit(1, T0), T0 + 9 * DAY, None),
    ],
)
def test_the_sweep_takes_one_step_and_after_downtime_the_most_advanced(case, task, now, expected):
    assert step_due(task, now, 2 * DAY) == expected


def test_the_answer_is_recorded_once():
    answered = record(OPENED, 201, T0, satisfied=False, note="还是脏")
    assert (answered.state, answered.satisfied, answered.next_at) == (State.ANSWERED, False, None)
    with pytest.raises(AlreadyRecorded):
        record(answered, 202, T0, satisfied=True, note=None)


def s(action: str, new: str, hours: float, **more) -> Step:
    return Step(action, new, None, T0 + timedelta(hours=hours), None, **more)


SUBMITTED = s("submit", "open", 0)
RESOLVED = s("resolve", "resolved", 2)
CLOSED_4 = s("confirm", "closed", 3, stars=4)
CLOSED_2 = s("confirm", "closed", 3, stars=2)
EXPIRED = s("expire", "closed_unverified", 3)
CARDS = s("revisit", "closed", 4)
YES = s("revisit_answer", "closed", 5, satisfied=True)
NO = s("revisit_answer", "closed", 5, satisfied=False)
REOPENED = s("reopen", "open", 5)


@pytest.mark.parametrize(
    ("case", "steps", "expected"),
    [
        # (rated, satisfied, revisit yes, no, pending)
        ("stars alone", (CLOSED_4,), (True, True, False, False, False)),
        ("a 回访 is waiting", (CLOSED_4, CARDS), (True, True, False, False, True)),
        ("the 回访 replaces good stars", (CLOSED_4, CARDS, NO), (True, False, False, True, False)),
        ("… and poor ones", (CLOSED_2, CARDS, YES), (True, True, True, False, False)),
        ("it rates an unverified closing", (EXPIRED, CARDS, YES), (True, True, True, False, False)),
        ("unverified, no 回访", (EXPIRED,), (False, False, False, False, False)),
        (
            "not satisfied and reopened",
            (CLOSED_4, CARDS, NO, REOPENED),
            (True, False, False, True, False),
        ),
        (
            "closed again with stars after the reopening",
            (
                CLOSED_2,
                CARDS,
                NO,
                REOPENED,
                s("resolve", "resolved", 6),
                s("confirm", "closed", 7, stars=5),
                s("revisit", "closed", 8),
            ),
            (True, True, False, False, True),
        ),
    ],
)
def test_a_revisit_answer_counts_for_satisfaction_as_the_latest_word(case, steps, expected):
    history = History(1, "G1", "litter", T0, (SUBMITTED, RESOLVED, *steps))
    result = outcome(history, T0 + 30 * DAY)
    assert result is not None
    got = (
        result.rated,
        result.satisfied,
        result.revisit_yes,
        result.revisit_no,
        result.revisit_pending,
    )
    assert got == expected
