"""Appraisal (考核): 三率, 按期结案率, 办结率, 量化积分, 五星 and 红黄榜, from report histories.

Pure: no database, no clock. Storage hands in each report's history (its events up to the
period's end, each with the deadline in force after it); `outcome` judges one report as of that
moment, `Figures` sums outcomes, `roll_up` sums them up the unit tree. Because nothing here reads
a report's current row, a past period printed again gives the same numbers whatever happened
to its reports since (README "考核 (appraisal)" defines every figure).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import tzinfo as TzInfo

from bot.domain.units import Unit, UnitTree

CONCLUDED = frozenset({"resolved", "closed", "closed_unverified"})
CLOSED = frozenset({"closed", "closed_unverified"})
RUNNING = frozenset({"open", "accepted"})
# Not a case of its own: 退回 (not ours, duplicate, invalid) and 并单 (merged into another report,
# which carries its people and is judged itself), so neither counts for or against anyone.
NOT_CASES = frozenset({"rejected", "merged"})
SATISFIED_STARS = 4


@dataclass(frozen=True, slots=True)
class Step:
    """One event of a report's history, with the deadline in force after it.

    `due_known` is False for events stored before deadlines were recorded with them (their
    deadline is unknown, and is not held against anyone).
    """

    action: str
    new: str
    actor_id: int | None
    at: datetime
    due: datetime | None
    due_known: bool = True
    stars: int | None = None  # a confirm's rating
    to: int | None = None  # a transfer's new assignee
    satisfied: bool | None = None  # a 回访's answer (revisit_answer)


@dataclass(frozen=True, slots=True)
class History:
    report_id: int
    unit: str
    category: str
    created_at: datetime
    steps: tuple[Step, ...]  # in order


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one report counts for in its period, judged as of the period's end."""

    received: bool  # 立案: neither rejected (退回) nor merged into another report (并单)
    respond_due: bool  # counted for 响应率: taken on, or its accept window is over
    responded: bool  # 及时响应: accepted (or resolved) within the window in force, never breached
    concluded: bool  # 办结: resolved, closed or closed unverified
    closed: bool  # 结案: closed, by the reporter or unverified in time
    due: bool  # 应结案: concluded, or its deadline has passed
    on_time: bool  # 按期: concluded, first resolved within its deadline, never breached before
    rated: bool  # closed by the reporter with stars, or answered a 回访
    satisfied: bool  # rated ≥ 4 stars, or satisfied in the 回访 (the latest answer counts)
    overdue: bool  # breached a deadline (escalated for it) or running past it at the end
    worker: int | None  # 承办人: who took it on (last accept, else resolve, else transfer)
    # 回访 (bot/domain/revisit.py) as of the end: its latest task answered yes, no, or waiting
    revisit_yes: bool = False
    revisit_no: bool = False
    revisit_pending: bool = False


def _before(steps: Sequence[Step], index: int) -> Step | None:
    return steps[index - 1] if index > 0 else None


def _within(step: Step, previous: Step | None) -> bool:
    """Tells whether STEP came within the deadline in force before it (unknown: yes)."""
    if previous is None or not previous.due_known or previous.due is None:
        return True
    return step.at <= previous.due


def outcome(history: History, as_of: datetime) -> Outcome | None:
    """Returns what HISTORY counts for as of AS_OF; None if the report did not exist yet."""
    steps = [s for s in history.steps if s.at <= as_of]
    if not steps or history.created_at > as_of:
        return None
    state = steps[-1].new
    received = state not in NOT_CASES
    breached = False
    responded = resolved_on_time = False
    response_seen = resolve_seen = False
    worker_accept = worker_resolve = worker_transfer = None
    stars: int | None = None
    answer: bool | None = None  # the latest 回访 answer, unless stars came after it
    revisit: str | None = None  # the latest task: "pending", "yes" or "no"
    for index, step in enumerate(steps):
        previous = _before(steps, index)
        if step.action == "escalate":
            breached = True
        elif step.action in ("accept", "resolve") and not response_seen:
            response_seen = True
            responded = not breached and _within(step, previous)
        if step.action == "resolve" and not resolve_seen:
            resolve_seen = True
            resolved_on_time = not breached and _within(step, previous)
        if step.action == "accept":
            worker_accept = step.actor_id
        elif step.action == "resolve":
            worker_resolve = step.actor_id
        elif step.action == "transfer" and step.to is not None:
            worker_transfer = step.to
        elif step.action == "confirm":
            stars = step.stars
            answer = None  # a new closing's stars replace an earlier 回访 answer
        elif step.action == "revisit":
            revisit = "pending"
        elif step.action == "revisit_answer" and step.satisfied is not None:
            answer = step.satisfied
            revisit = "yes" if answer else "no"
    last = steps[-1]
    past_due = state in RUNNING and last.due_known and last.due is not None and last.due <= as_of
    concluded = state in CONCLUDED
    if answer is not None:  # the 回访 replaces the stars (and rates a case closed unverified)
        rated, satisfied = True, answer
    else:
        rated = state == "closed" and stars is not None
        satisfied = rated and stars is not None and stars >= SATISFIED_STARS
    return Outcome(
        received=received,
        respond_due=received and (response_seen or breached or (state == "open" and past_due)),
        responded=received and responded,
        concluded=concluded,
        closed=state in CLOSED,
        due=received and (concluded or past_due or (state in RUNNING and breached)),
        on_time=concluded and resolved_on_time,
        rated=rated,
        satisfied=satisfied,
        overdue=received and (breached or past_due),
        worker=worker_accept or worker_resolve or worker_transfer,
        revisit_yes=revisit == "yes",
        revisit_no=revisit == "no",
        revisit_pending=revisit == "pending",
    )


def rate(numerator: int, denominator: int) -> float | None:
    """Returns NUMERATOR / DENOMINATOR (0–1), None when there is nothing to divide."""
    if denominator <= 0:
        return None
    return min(numerator, denominator) / denominator


@dataclass(slots=True)
class Figures:
    """The counts of a unit (raw or rolled up over its subtree) or a worker for one period."""

    submitted: int = 0
    received: int = 0
    respond_due: int = 0
    responded: int = 0
    concluded: int = 0
    closed: int = 0
    due: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    overdue: int = 0
    revisit_yes: int = 0  # 回访: satisfied
    revisit_no: int = 0  # … not satisfied
    revisit_pending: int = 0  # … still to call
    categories: Counter[str] = field(default_factory=Counter)

    def count(self, result: Outcome, category: str) -> None:
        self.submitted += 1
        self.received += result.received
        self.respond_due += result.respond_due
        self.responded += result.responded
        self.concluded += result.concluded
        self.closed += result.closed
        self.due += result.due
        self.on_time += result.on_time
        self.rated += result.rated
        self.satisfied += result.satisfied
        self.overdue += result.overdue
        self.revisit_yes += result.revisit_yes
        self.revisit_no += result.revisit_no
        self.revisit_pending += result.revisit_pending
        if result.received:
            self.categories[category] += 1

    def add(self, other: Figures) -> None:
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.categories.update(other.categories)

    @property
    def rejected(self) -> int:
        return self.submitted - self.received

    @property
    def response_rate(self) -> float | None:
        """响应率 = 及时响应 / 应响应."""
        return rate(self.responded, self.respond_due)

    @property
    def resolution_rate(self) -> float | None:
        """解决率 = 结案 / 立案."""
        return rate(self.closed, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 = 满意 (≥ 4 stars, or satisfied in a 回访) / 评价."""
        return rate(self.satisfied, self.rated)

    @property
    def on_time_rate(self) -> float | None:
        """按期结案率 = 按期办结 / 应结案."""
        return rate(self.on_time, self.due)

    @property
    def completion_rate(self) -> float | None:
        """办结率 = 办结 / 立案 (the weekly summary's figure, over a month)."""
        return rate(self.concluded, self.received)

    @property
    def closing_rate(self) -> float | None:
        """结案率 = 结案 / 应结案."""
        return rate(self.closed, self.due)

    def rates(self) -> dict[str, float | None]:
        return {name: getattr(self, f"{name}_rate") for name in RATES}

    def top_categories(self, count: int) -> list[tuple[str, int]]:
        ranked = sorted(self.categories.items(), key=lambda item: (-item[1], item[0]))
        return [(code, n) for code, n in ranked if n > 0][:count]


_COUNTS = (
    "submitted",
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
    "revisit_yes",
    "revisit_no",
    "revisit_pending",
)
# The rates the score weighs, in the order they are shown.
RATES = ("response", "resolution", "satisfaction", "on_time", "completion")


def roll_up(raw: Mapping[str, Figures], tree: UnitTree) -> dict[str, Figures]:
    """Returns, for every unit of TREE, RAW summed over the unit and everything below it."""
    rolled = {unit.code: Figures() for unit in tree}
    for code, figures in raw.items():
        if code not in tree:
            continue
        for unit in tree.chain(code):
            rolled[unit.code].add(figures)
    return rolled


@dataclass(frozen=True, slots=True)
class Formula:
    """量化积分: Σ weight × rate (rates with no cases left out, the rest scaled up to the full
    weight), minus a penalty per overdue report, plus a bonus per satisfied one; never below 0.
    五星: one star per threshold the score reaches (five thresholds, ascending)."""

    weights: Mapping[str, float]
    overdue_penalty: float = 0.0
    satisfied_bonus: float = 0.0
    star_thresholds: tuple[float, ...] = (60.0, 70.0, 80.0, 90.0, 95.0)

    def score(self, figures: Figures) -> float | None:
        """Returns the score of FIGURES, None when the unit received no reports."""
        if figures.received == 0:
            return None
        rates = figures.rates()
        total = sum(self.weights.get(name, 0.0) for name in RATES)
        known = {n: r for n, r in rates.items() if r is not None and self.weights.get(n, 0.0)}
        weight = sum(self.weights[n] for n in known)
        base = sum(self.weights[n] * r for n, r in known.items()) * total / weight if weight else 0
        value = (
            base - self.overdue_penalty * figures.overdue + self.satisfied_bonus * figures.satisfied
        )
        return round(max(0.0, value), 1)

    def stars(self, score: float | None) -> int | None:
        """Returns the 五星 rating (0–5) for SCORE; None without a score."""
        if score is None:
            return None
        return sum(1 for threshold in self.star_thresholds if score >= threshold)


@dataclass(frozen=True, slots=True)
class Standing:
    unit: Unit
    figures: Figures
    score: float | None
    stars: int | None
    place: int  # 1 = best; 0 = unplaced (no reports)


def standings(entries: Iterable[tuple[Unit, Figures]], formula: Formula) -> list[Standing]:
    """Returns ENTRIES ranked by score, best first, equal scores sharing a place; units with no
    reports last, unplaced."""
    scored = [(unit, f, formula.score(f)) for unit, f in entries]
    placed = sorted(
        ((u, f, s) for u, f, s in scored if s is not None),
        key=lambda e: (-(e[2] or 0.0), -e[1].received, e[0].code),
    )
    out: list[Standing] = []
    for index, (unit, figures, score) in enumerate(placed):
        same = out and out[-1].score == score
        out.append(
            Standing(
                unit, figures, score, formula.stars(score), out[-1].place if same else index + 1
            )
        )
    rest = sorted((e for e in scored if e[2] is None), key=lambda e: e[0].code)
    out.extend(Standing(u, f, None, None, 0) for u, f, _ in rest)
    return out


@dataclass(frozen=True, slots=True)
class League:
    """红黄榜: the best sub-units (红榜) and the weakest (黄榜), never the same unit twice."""

    red: list[Standing]
    yellow: list[Standing]


def league(ranked: Sequence[Standing], size: int) -> League:
    """Returns the red and yellow lists of RANKED (from `standings`): up to SIZE each."""
    placed = [s for s in ranked if s.place > 0]
    reds = min(size, (len(placed) + 1) // 2)
    yellows = min(size, len(placed) - reds)
    red = placed[:reds]
    yellow = list(reversed(placed[len(placed) - yellows :])) if yellows else []
    return League(red, yellow)


@dataclass(frozen=True, slots=True)
class HotSpot:
    """每月一题: a category that keeps coming back at one place (grid)."""

    category: str
    place: str  # unit code at grid level
    reports: int
    days: int


@dataclass(slots=True)
class Sightings:
    """Reports per (category, place) and the local days they came in on."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    days: dict[tuple[str, str], set[date]] = field(default_factory=dict)

    def see(self, category: str, place: str, day: date) -> None:
        key = (category, place)
        self.counts[key] += 1
        self.days.setdefault(key, set()).add(day)


def place_of(unit: str, tree: UnitTree) -> str:
    """Returns the grid a report's unit belongs to (itself when above grid level)."""
    if unit not in tree:
        return unit
    for above in tree.chain(unit):
        if above.level == "grid":
            return above.code
    return unit


def local_day(at: datetime, tz: TzInfo) -> date:
    return at.astimezone(tz).date()


def hot_spots(
    sightings: Sightings,
    units: Iterable[str],
    *,
    min_reports: int,
    min_days: int,
    count: int,
) -> list[HotSpot]:
    """Returns the COUNT biggest recurring (category, place) pairs at UNITS (grid codes).

    Recurring: at least MIN_REPORTS reports on at least MIN_DAYS different days of the period,
    so one incident reported by several neighbours in an hour is not a hot spot.
    """
    wanted = set(units)
    found = [
        HotSpot(category, place, n, len(sightings.days[(category, place)]))
        for (category, place), n in sightings.counts.items()
        if place in wanted
        and n >= min_reports
        and len(sightings.days[(category, place)]) >= min_days
    ]
    found.sort(key=lambda h: (-h.reports, -h.days, h.category, h.place))
    return found[:count]


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)
