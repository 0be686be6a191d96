"""Appraisal (考核): a month's figures per unit and per worker, judged as of the month's end.

`month_figures` reads the month's report histories once (bot/domain/appraisal.py judges each
as of the end) and sums them per unit, up the tree, and per worker; `unit_report` is what one
unit's 通报 and /appraisal show; `show` is /appraisal, re-authorised against the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import tzinfo as TzInfo
from weakref import WeakKeyDictionary

from bot.domain import access
from bot.domain.appraisal import (
    Figures,
    Formula,
    History,
    HotSpot,
    League,
    Sightings,
    Standing,
    hot_spots,
    league,
    local_day,
    outcome,
    place_of,
    roll_up,
    standings,
)
from bot.domain.people import Role, Staff
from bot.domain.points import month_bounds
from bot.domain.units import Unit, UnitTree
from bot.domain.volunteers import subtree
from bot.services import Services
from bot.settings import Settings
from bot.usecases.results import Done, Refused, refuse


def formula(settings: Settings) -> Formula:
    """Returns the office's 量化积分 and 五星 formula from [appraisal]."""
    config = settings.appraisal
    return Formula(
        weights={str(name): weight for name, weight in config.weights.items()},
        overdue_penalty=config.overdue_penalty,
        satisfied_bonus=config.satisfied_bonus,
        star_thresholds=tuple(config.stars),
    )


@dataclass(slots=True)
class MonthData:
    """One month's figures for the whole office (or a unit subtree's), judged as of AS_OF."""

    month: str  # the month, 2026-11 (`judge`: the period's label)
    start: datetime
    end: datetime
    as_of: datetime
    tree: UnitTree
    raw: dict[str, Figures] = field(default_factory=dict)
    rolled: dict[str, Figures] = field(default_factory=dict)
    workers: dict[int, Figures] = field(default_factory=dict)
    sightings: Sightings = field(default_factory=Sightings)


def as_of(services: Services, month: str, now: datetime) -> datetime:
    """Returns the moment MONTH is judged at: its end, or NOW while it is still running."""
    _, end = month_bounds(month, services.tz)
    return min(end, now)


# Finished months' figures, per store: judged as of the month's end they can no longer change,
# so the sweep's computation serves /appraisal for that month too (a per-process cache; each
# open store has its own, dropped with it).
_FINISHED: WeakKeyDictionary[object, dict[str, MonthData]] = WeakKeyDictionary()
KEEP_MONTHS = 3
# And finished months judged for one unit subtree ((month, its units) → figures), for the
# dashboard's /figures of a street or community: at most KEEP_SCOPES, the oldest dropped.
_SCOPED: WeakKeyDictionary[object, dict[tuple[str, tuple[str, ...]], MonthData]] = (
    WeakKeyDictionary()
)
KEEP_SCOPES = 32


async def month_figures(
    services: Services,
    month: str,
    *,
    at: datetime,
    units: Sequence[str] | None = None,
    reuse: bool = False,
) -> MonthData:
    """Returns MONTH's figures (reports created in the month, at UNITS only if given) judged
    from their history as of AT (the month's end for a finished month).

    REUSE: take a finished month's figures for the whole office from an earlier call (they are
    judged as of the month's end, so they cannot have changed)."""
    start, end = month_bounds(month, services.tz)
    tree = await services.units.tree()
    closed = at >= end
    finished = units is None and closed
    cache = _FINISHED.setdefault(services.store, {})
    scoped = _SCOPED.setdefault(services.store, {})
    key = (month, tuple(units or ()))
    if reuse and closed and (month in cache or (not finished and key in scoped)):
        # A subtree's figures are the whole office's at its units (/appraisal's rule).
        data = cache[month] if month in cache else scoped[key]
        if data.tree is not tree:  # the tree changed since (a CSV import): roll up again
            data.tree, data.rolled = tree, roll_up(data.raw, tree)
        return data
    data = await judge(services, month, start, end, at=at, units=units, tree=tree)
    if finished:
        cache[month] = _compact(data)
        for old in sorted(cache)[:-KEEP_MONTHS]:
            del cache[old]
    elif closed and reuse:
        scoped[key] = data
        while len(scoped) > KEEP_SCOPES:
            del scoped[next(iter(scoped))]  # the oldest first
    return data


def _compact(data: MonthData) -> MonthData:
    """Returns DATA with equal sets of sighting days shared: a finished month is never counted
    into again, and its ~7,000 sets of days (22 MB on the bench's office, most of them every
    day of the month) are most of what _FINISHED keeps."""
    shared: dict[frozenset[date], set[date]] = {}
    days = data.sightings.days
    for key, seen in days.items():
        days[key] = shared.setdefault(frozenset(seen), seen)
    return data


async def judge(
    services: Services,
    label: str,
    start: datetime,
    end: datetime,
    *,
    at: datetime,
    units: Sequence[str] | None = None,
    tree: UnitTree | None = None,
) -> MonthData:
    """Returns the figures of the reports created in [START, END) (at UNITS only if given),
    judged from their history as of AT: a month's (`month_figures`) or any other period's (the
    dashboard's last 90 days), by the same rules. LABEL names the period (a month, 2026-11)."""
    if tree is None:
        tree = await services.units.tree()
    data = MonthData(label, start, end, at, tree)
    places: dict[str, str] = {}
    days: dict[date, date] = {}
    async for chunk in services.store.appraisals.histories(start, end, at, units):
        # Judged in a worker thread: a big month takes seconds, and updates keep flowing.
        await asyncio.to_thread(_count, data, chunk, places, days, services.tz)
        del chunk  # before the next is read: one chunk of histories alive at a time
    data.rolled = roll_up(data.raw, tree)
    return data


def _count(
    data: MonthData,
    chunk: list[History],
    places: dict[str, str],
    days: dict[date, date],
    tz: TzInfo,
) -> None:
    """Adds each history of CHUNK to DATA (its unit, its worker, its place's sightings).

    PLACES caches each unit's grid; DAYS makes every sighting of a day the same date object (a
    month's sightings hold ~7,000 sets of days on the bench's office: one object per day, not
    one per set and day, in what _FINISHED keeps)."""
    for history in chunk:
        result = outcome(history, data.as_of)
        if result is None:
            continue
        data.raw.setdefault(history.unit, Figures()).count(result, history.category)
        if result.worker is not None:
            data.workers.setdefault(result.worker, Figures()).count(result, history.category)
        if result.received:
            place = places.get(history.unit)
            if place is None:
                place = places[history.unit] = place_of(history.unit, data.tree)
            day = local_day(history.created_at, tz)
            data.sightings.see(history.category, place, days.setdefault(day, day))


@dataclass(frozen=True, slots=True)
class UnitReport:
    """What one unit's month shows: its figures, score and stars, its sub-units ranked, the
    红黄榜, top categories and hot spots (每月一题)."""

    unit: Unit
    month: str
    as_of: datetime
    figures: Figures
    score: float | None
    stars: int | None
    ranking: list[Standing]
    league: League
    top: list[tuple[str, int]]
    hot_spots: list[HotSpot]


def unit_report(services: Services, data: MonthData, code: str) -> UnitReport:
    """Returns CODE's report from DATA."""
    config = services.settings.appraisal
    rules = formula(services.settings)
    tree = data.tree
    figures = data.rolled.get(code, Figures())
    children = [(child, data.rolled.get(child.code, Figures())) for child in tree.children(code)]
    ranking = standings(children, rules)
    grids = [u for u in subtree(code, tree) if tree.get(u).level == "grid"] or [code]
    score = rules.score(figures)
    return UnitReport(
        unit=tree.get(code),
        month=data.month,
        as_of=data.as_of,
        figures=figures,
        score=score,
        stars=rules.stars(score),
        ranking=ranking,
        league=league(ranking, config.league_size),
        top=figures.top_categories(config.top_categories),
        hot_spots=hot_spots(
            data.sightings,
            grids,
            min_reports=config.hotspot_reports,
            min_days=config.hotspot_days,
            count=config.hotspots,
        ),
    )


@dataclass(frozen=True, slots=True)
class WorkerLine:
    staff: Staff
    figures: Figures
    score: float | None
    stars: int | None


@dataclass(frozen=True, slots=True)
class Shown:
    """/appraisal's answer: the unit's report, and the worker figures the viewer may see."""

    report: UnitReport
    workers: list[WorkerLine]


async def show(
    services: Services, user_id: int, month: str, *, at: datetime
) -> Done[Shown] | Refused:
    """Returns MONTH's report of the staff member's unit and the workers they may see."""
    staff = await services.people.staff(user_id)
    if (rule := access.view_appraisal(staff)) is not None:
        return await refuse(services, user_id, rule, None, "/appraisal", at=at)
    assert staff is not None
    tree = await services.units.tree()
    if staff.unit not in tree:
        return Refused("appraisal.no_unit")
    whole = staff.role is Role.ADMIN or tree.get(staff.unit).parent is None
    scope = None if whole else subtree(staff.unit, tree)
    judged = as_of(services, month, at)
    if month in _FINISHED.get(services.store, {}):
        scope = None  # the sweep (or a district's look) already judged the whole month
    data = await month_figures(services, month, at=judged, units=scope, reuse=True)
    report = unit_report(services, data, staff.unit)
    rules = formula(services.settings)
    colleagues = await services.people.staff_at(subtree(staff.unit, tree))
    lines = []
    for worker in colleagues:
        figures = data.workers.get(worker.user_id)
        if figures is None or not access.sees_workers(staff, worker, tree):
            continue
        score = rules.score(figures)
        lines.append(WorkerLine(worker, figures, score, rules.stars(score)))
    lines.sort(key=lambda w: (-(w.score if w.score is not None else -1), w.staff.user_id))
    return Done(Shown(report, lines))
