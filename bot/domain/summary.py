"""Weekly figures for a unit and everything below it: ISO weeks, rates, medians and rankings.

Pure: no database, no clock. Storage hands in per-unit tallies (one pass grouped by unit); this
module rolls them up the unit tree and derives the figures a group summary shows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from datetime import tzinfo as TzInfo

from bot.domain.units import Unit, UnitTree

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    """An ISO 8601 week: Monday 00:00 to the next Monday 00:00 in the office's time zone."""

    year: int
    week: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise ValueError(f"{self.year} has no ISO week {self.week}") from None

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Returns the week written as '2026-W47' (or '2026W47'); raises ValueError."""
        match = _WEEK.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an ISO week like 2026-W47")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def containing(cls, at: datetime, tz: TzInfo) -> IsoWeek:
        """Returns the week that AT falls in, as the office's calendar sees it."""
        return cls.of(at.astimezone(tz).date())

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def start(self, tz: TzInfo) -> datetime:
        """Returns Monday 00:00 in TZ, in UTC."""
        return datetime.combine(self.monday, time(0), tzinfo=tz).astimezone(UTC)

    def end(self, tz: TzInfo) -> datetime:
        """Returns the next Monday 00:00 in TZ, in UTC (exclusive)."""
        return self.next().start(tz)

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(days=7))

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(days=7))

    def back(self, count: int) -> list[IsoWeek]:
        """Returns the COUNT weeks ending with this one, oldest first."""
        weeks = [self]
        for _ in range(count - 1):
            weeks.append(weeks[-1].previous())
        return weeks[::-1]


def send_time(week: IsoWeek, weekday: int, at: time, tz: TzInfo) -> datetime:
    """Returns when WEEK's summary is due: WEEKDAY (ISO, 1 = Monday) of the next week, AT, in TZ.

    ISO numbering on purpose: PTB's run_daily counts 0 = Sunday, an easy trap.
    """
    if not 1 <= weekday <= 7:
        raise ValueError("weekday is ISO: 1 = Monday … 7 = Sunday")
    day = week.next().monday + timedelta(days=weekday - 1)
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def due_week(now: datetime, weekday: int, at: time, tz: TzInfo) -> IsoWeek:
    """Returns the latest complete week whose summary's send time has passed at NOW."""
    week = IsoWeek.containing(now, tz).previous()
    while send_time(week, weekday, at, tz) > now:
        week = week.previous()
    return week


def median(values: Iterable[float]) -> float | None:
    """Returns the median (mean of the middle two for an even count), None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def completion_rate(concluded: int, received: int) -> float | None:
    """Returns 办结率 as a fraction 0–1: CONCLUDED / RECEIVED, None when nothing was received."""
    if received <= 0:
        return None
    return min(concluded, received) / received


@dataclass(slots=True)
class Tally:
    """What happened in one week at one unit (raw), or in a unit's whole subtree (rolled up).

    - new: reports created in the week.
    - resolved / closed / closed_unverified / rejected: reports with a resolve / confirm /
      expire / reject event in the week (each report counted once per kind).
    - overdue: reports open at the summary's moment whose deadline in force then had passed,
      judged from their history as of that moment (a later escalation or resolve does not
      change it).
    - received, concluded: the completion-rate cohort, see `completion_rate`.
    - median_accept_hours / median_resolve_hours: the median hours from submission to the
      first accept / resolve event in the week of each report accepted / resolved in it, over
      the unit's WHOLE subtree even in a raw tally (storage takes them in SQL: a histogram of
      every value would be a row per report); None when there is none. `add` leaves them
      alone and `roll_up` keeps each unit's own.
    - stars: the ratings given with the week's confirmations.
    - categories: new reports per category.
    """

    new: int = 0
    resolved: int = 0
    closed: int = 0
    closed_unverified: int = 0
    rejected: int = 0
    overdue: int = 0
    received: int = 0
    concluded: int = 0
    median_accept_hours: float | None = None
    median_resolve_hours: float | None = None
    stars: list[int] = field(default_factory=list)
    categories: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.new += other.new
        self.resolved += other.resolved
        self.closed += other.closed
        self.closed_unverified += other.closed_unverified
        self.rejected += other.rejected
        self.overdue += other.overdue
        self.received += other.received
        self.concluded += other.concluded
        self.stars.extend(other.stars)
        self.categories.update(other.categories)

    @property
    def completion_rate(self) -> float | None:
        """Returns 办结率 = 办结件数 / 受理件数 for the reports received in the week.

        受理 (received): reports created in the week, less those rejected (退回 — not ours,
        duplicate, invalid — is not taking a case on). 办结 (concluded): of those, the ones
        whose handling was finished — resolved (awaiting the reporter), closed, or closed
        unverified — at the time of the summary. Both are judged from the report's history as of
        that moment, so the figure for a past week does not drift when printed again later.
        A cohort rate is bounded 0–100 % (a flow ratio, closed ÷ new, is not).
        """
        return completion_rate(self.concluded, self.received)

    @property
    def closed_total(self) -> int:
        return self.closed + self.closed_unverified

    @property
    def average_stars(self) -> float | None:
        return sum(self.stars) / len(self.stars) if self.stars else None

    def top_categories(self, count: int) -> list[tuple[str, int]]:
        """Returns the COUNT most reported categories, most first (ties by code)."""
        ranked = sorted(self.categories.items(), key=lambda item: (-item[1], item[0]))
        return [(code, n) for code, n in ranked if n > 0][:count]


def roll_up(raw: Mapping[str, Tally], tree: UnitTree) -> dict[str, Tally]:
    """Returns, for every unit, the sum of RAW over the unit and everything below it.

    One pass: each unit's raw tally is added to the unit and its ancestors, so the cost is
    (units with data) × (tree depth), whatever the number of reports. Units no longer in the
    tree are left out. The medians are not added: RAW holds each unit's subtree's already.
    """
    rolled: dict[str, Tally] = {unit.code: Tally() for unit in tree}
    for code, tally in raw.items():
        if code not in tree:
            continue
        for unit in tree.chain(code):
            rolled[unit.code].add(tally)
        rolled[code].median_accept_hours = tally.median_accept_hours  # already the subtree's
        rolled[code].median_resolve_hours = tally.median_resolve_hours
    return rolled


@dataclass(frozen=True, slots=True)
class Ranked:
    place: int
    unit: Unit
    tally: Tally


def rank(entries: Iterable[tuple[Unit, Tally]]) -> list[Ranked]:
    """Returns ENTRIES ranked by completion rate, best first; equal rates share a place.

    Units that received nothing (no rate) come last, unplaced (place 0). Ties keep a stable
    order: more received first, then by unit code.
    """
    rated = [(unit, t) for unit, t in entries if t.completion_rate is not None]
    unrated = [(unit, t) for unit, t in entries if t.completion_rate is None]
    rated.sort(key=lambda e: (-(e[1].completion_rate or 0.0), -e[1].received, e[0].code))
    unrated.sort(key=lambda e: e[0].code)
    ranked: list[Ranked] = []
    for index, (unit, tally) in enumerate(rated):
        previous = ranked[-1] if ranked else None
        same = previous is not None and previous.tally.completion_rate == tally.completion_rate
        ranked.append(Ranked(previous.place if same and previous else index + 1, unit, tally))
    ranked.extend(Ranked(0, unit, tally) for unit, tally in unrated)
    return ranked


@dataclass(frozen=True, slots=True)
class WeekCount:
    """One bar pair of the chart: reports created and reports closed in WEEK."""

    week: IsoWeek
    new: int
    closed: int


@dataclass(frozen=True, slots=True)
class WeekSummary:
    """Everything a group's weekly summary shows, for UNIT and everything below it."""

    unit: Unit
    week: IsoWeek
    as_of: datetime
    tally: Tally
    ranking: list[Ranked]
    history: list[WeekCount]


def summarise(
    unit: str,
    week: IsoWeek,
    as_of: datetime,
    rolled: Mapping[str, Tally],
    history: Mapping[IsoWeek, Mapping[str, tuple[int, int]]],
    tree: UnitTree,
) -> WeekSummary:
    """Returns UNIT's summary from rolled-up tallies and per-week rolled (new, closed) counts."""
    children = [(child, rolled.get(child.code, Tally())) for child in tree.children(unit)]
    bars = [WeekCount(w, *history.get(w, {}).get(unit, (0, 0))) for w in sorted(history)]
    return WeekSummary(tree.get(unit), week, as_of, rolled.get(unit, Tally()), rank(children), bars)


def roll_up_counts(
    raw: Mapping[str, tuple[int, int]], tree: UnitTree
) -> dict[str, tuple[int, int]]:
    """Returns (new, closed) per unit summed over its subtree, like `roll_up`."""
    rolled: dict[str, list[int]] = {}
    for code, (new, closed) in raw.items():
        if code not in tree:
            continue
        for unit in tree.chain(code):
            pair = rolled.setdefault(unit.code, [0, 0])
            pair[0] += new
            pair[1] += closed
    return {code: (pair[0], pair[1]) for code, pair in rolled.items()}
