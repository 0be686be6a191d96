"""Appraisal figures (bot/domain/appraisal.py): one report judged as of a moment, rates, the
score and stars, the red and yellow lists and hot spots — table-driven."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.appraisal import (
    Figures,
    Formula,
    History,
    Sightings,
    Step,
    hot_spots,
    league,
    outcome,
    rate,
    roll_up,
    standings,
)
from bot.domain.units import Unit, UnitTree

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
WORKER, OTHER, REPORTER = 101, 102, 5001


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def submit(due: float | None = 2) -> Step:
    return Step("submit", "open", REPORTER, h(0), h(due) if due is not None else None)


def step(
    action: str,
    new: str,
    at: float,
    due: float | None,
    *,
    actor: int | None = WORKER,
    stars: int | None = None,
    to: int | None = None,
    known: bool = True,
) -> Step:
    return Step(action, new, actor, h(at), h(due) if due is not None else None, known, stars, to)


def history(*steps: Step) -> History:
    return History(1, "G1", "litter", h(0), tuple(steps))


ACCEPTED = step("accept", "accepted", 1, 26)
ACCEPTED_LATE = step("accept", "accepted", 3, 27)
RESOLVED = step("resolve", "resolved", 20, 92)
RESOLVED_LATE = step("resolve", "resolved", 30, 102)
CONFIRMED_5 = step("confirm", "closed", 40, None, actor=REPORTER, stars=5)
CONFIRMED_3 = step("confirm", "closed", 40, None, actor=REPORTER, stars=3)
EXPIRED = step("expire", "closed_unverified", 95, None, actor=None)
ESCALATED = step("escalate", "open", 4, 8, actor=None)
REJECTED = step("reject", "rejected", 1, None)

# (name, steps, as_of hours, expected flags as a string of the true ones, worker)
CASES = [
    ("just submitted, window running", [submit()], 1, "received", None),
    ("accept window passed", [submit()], 5, "received respond_due due overdue", None),
    ("accepted in time", [submit(), ACCEPTED], 10, "received respond_due responded", WORKER),
    ("accepted late", [submit(), ACCEPTED_LATE], 10, "received respond_due", WORKER),
    (
        "resolved in time",
        [submit(), ACCEPTED, RESOLVED],
        21,
        "received respond_due responded concluded due on_time",
        WORKER,
    ),
    (
        "resolved late",
        [submit(), ACCEPTED, RESOLVED_LATE],
        31,
        "received respond_due responded concluded due",
        WORKER,
    ),
    (
        "confirmed with 5 stars",
        [submit(), ACCEPTED, RESOLVED, CONFIRMED_5],
        41,
        "received respond_due responded concluded closed due on_time rated satisfied",
        WORKER,
    ),
    (
        "confirmed with 3 stars",
        [submit(), ACCEPTED, RESOLVED, CONFIRMED_3],
        41,
        "received respond_due responded concluded closed due on_time rated",
        WORKER,
    ),
    (
        "closed unverified: no rating",
        [submit(), ACCEPTED, RESOLVED, EXPIRED],
        96,
        "received respond_due responded concluded closed due on_time",
        WORKER,
    ),
    (
        "escalated for breach, then accepted in the new window",
        [submit(), ESCALATED, step("accept", "accepted", 5, 30)],
        6,
        "received respond_due due overdue",
        WORKER,
    ),
    (
        "judged before the escalation: open, past due",
        [submit(), ESCALATED],
        3,
        "received respond_due due overdue",
        None,
    ),
    (
        "judged after the escalation: the new clock runs, still a breach",
        [submit(), ESCALATED],
        5,
        "received respond_due due overdue",
        None,
    ),
    ("rejected: nobody took it on", [submit(), REJECTED], 2, "", None),
    (
        "merged into another report after a breach: not a case, not held against the grid",
        [submit(), ESCALATED, step("merge", "merged", 5, None)],
        6,
        "",
        None,
    ),
    (
        "merged after it was accepted: the survivor is judged, not the duplicate",
        [submit(), ACCEPTED, step("merge", "merged", 2, None)],
        3,
        "",
        WORKER,
    ),
    (
        "a later move is not seen",
        [submit(), ACCEPTED, RESOLVED, CONFIRMED_5],
        10,
        "received respond_due responded",
        WORKER,
    ),
    (
        "deadline not recorded (old history): not held against anyone",
        [
            step("submit", "open", 0, None, actor=REPORTER, known=False),
            step("accept", "accepted", 50, None, known=False),
        ],
        60,
        "received respond_due responded",
        WORKER,
    ),
    (
        "transferred, not yet accepted: the new assignee",
        [submit(), step("transfer", "open", 1, 3, to=OTHER)],
        2,
        "received",
        OTHER,
    ),
    (
        "resolved straight from open counts as the response",
        [submit(), step("resolve", "resolved", 1, 73)],
        2,
        "received respond_due responded concluded due on_time",
        WORKER,
    ),
]
FLAGS = [
    "received",
    "respond_due",
    "responded",
    "concluded",
    "closed",
    "due",
    "on_time",
    "rated",
    "satisfied",
    "overdue",
]


@pytest.mark.parametrize(
    ("name", "steps", "at", "flags", "worker"), CASES, ids=[c[0] for c in CASES]
)
def test_a_report_counts_for_what_its_history_shows_as_of_the_moment(
    name, steps, at, flags, worker
):
    result = outcome(history(*steps), h(at))
    assert result is not None
    shown = {flag for flag in FLAGS if getattr(result, flag)}
    assert shown == set(flags.split())
    assert result.worker == worker


def test_a_report_created_after_the_moment_does_not_count():
    assert outcome(history(submit()), h(-1)) is None


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(0, 0, None), (0, 4, 0.0), (3, 4, 0.75), (5, 4, 1.0)],
)
def test_rates_are_bounded_and_none_without_a_denominator(numerator, denominator, expected):
    assert rate(numerator, denominator) == expected


def figures(**counts: int) -> Figures:
    f = Figures(**counts)
    f.submitted = max(f.submitted, f.received)
    return f


FORMULA = Formula(
    weights={"response": 20, "resolution": 20, "satisfaction": 20, "on_time": 20, "completion": 20},
    overdue_penalty=2,
    satisfied_bonus=0,
)


@pytest.mark.parametrize(
    ("counts", "score", "stars"),
    [
        ({}, None, None),  # no reports: no score, no stars
        (
            dict(
                received=10,
                respond_due=10,
                responded=10,
                closed=10,
                concluded=10,
                due=10,
                on_time=10,
                rated=10,
                satisfied=10,
            ),
            100.0,
            5,
        ),
        (
            dict(
                received=10,
                respond_due=10,
                responded=5,
                closed=5,
                concluded=5,
                due=10,
                on_time=5,
                rated=10,
                satisfied=5,
            ),
            50.0,
            0,
        ),
        # Nothing rated: satisfaction is left out and the other four scaled up to 100.
        (
            dict(received=4, respond_due=4, responded=4, closed=3, concluded=4, due=4, on_time=3),
            87.5,
            3,
        ),
        # Each overdue report costs 2 points; never below 0.
        (
            dict(
                received=10,
                respond_due=10,
                responded=10,
                closed=10,
                concluded=10,
                due=10,
                on_time=10,
                rated=10,
                satisfied=10,
                overdue=3,
            ),
            94.0,
            4,
        ),
        (dict(received=10, respond_due=10, due=10, rated=1, overdue=60), 0.0, 0),
    ],
)
def test_the_score_weighs_the_rates_and_the_stars_follow_the_thresholds(counts, score, stars):
    f = figures(**counts)
    assert FORMULA.score(f) == score
    assert FORMULA.stars(FORMULA.score(f)) == stars


TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "社区一", "community", "S1"),
        Unit("G1", "网格一", "grid", "C1"),
        Unit("G2", "网格二", "grid", "C1"),
        Unit("G3", "网格三", "grid", "C1"),
        Unit("G4", "网格四", "grid", "C1"),
        Unit("G5", "网格五", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)


def test_figures_roll_up_the_tree():
    raw = {"B1": figures(received=2, closed=1), "G2": figures(received=3), "X": figures(received=9)}
    rolled = roll_up(raw, TREE)
    assert (rolled["G1"].received, rolled["C1"].received, rolled["S1"].received) == (2, 5, 5)
    assert rolled["C1"].closed == 1


def perfect(n: int, *, responded: int | None = None) -> Figures:
    r = n if responded is None else responded
    return figures(received=n, respond_due=n, responded=r, closed=n, concluded=n, due=n,
                   on_time=n, rated=n, satisfied=n)  # fmt: skip


@pytest.mark.parametrize(
    ("units", "red", "yellow"),
    [
        ({"G1": perfect(4)}, ["G1"], []),
        ({"G1": perfect(4), "G2": perfect(4, responded=0)}, ["G1"], ["G2"]),
        (
            {
                "G1": perfect(4),
                "G2": perfect(4, responded=3),
                "G3": perfect(4, responded=0),
                "G4": perfect(4, responded=1),
                "G5": Figures(),
            },
            ["G1", "G2"],
            ["G3", "G4"],
        ),
    ],
)
def test_the_red_and_yellow_lists_never_share_a_unit(units, red, yellow):
    ranked = standings([(TREE.get(code), f) for code, f in units.items()], FORMULA)
    table = league(ranked, 3)
    assert [s.unit.code for s in table.red] == red
    assert [s.unit.code for s in table.yellow] == yellow  # the weakest first
    assert [s.place for s in ranked if s.figures.received == 0] == [0] * sum(
        1 for f in units.values() if f.received == 0
    )


def test_equal_scores_share_a_place():
    ranked = standings([(TREE.get("G1"), perfect(2)), (TREE.get("G2"), perfect(5))], FORMULA)
    assert [(s.unit.code, s.place) for s in ranked] == [("G2", 1), ("G1", 1)]


def test_hot_spots_are_pairs_that_recur_on_several_days():
    seen = Sightings()
    day = date(2026, 11, 3)
    for offset in (0, 0, 5):  # three reports on two days: recurring
        seen.see("litter", "G1", day + timedelta(days=offset))
    for _ in range(4):  # four neighbours reporting one incident the same day: not recurring
        seen.see("noise", "G1", day)
    for offset in (0, 1, 2):  # recurring, but outside the units asked for
        seen.see("road", "G9", day + timedelta(days=offset))
    found = hot_spots(seen, ["G1", "G2"], min_reports=3, min_days=2, count=5)
    assert [(x.category, x.place, x.reports, x.days) for x in found] == [("litter", "G1", 3, 2)]
    assert seen.counts == Counter({("litter", "G1"): 3, ("noise", "G1"): 4, ("road", "G9"): 3})
