"""The dashboard's unit figures (handlers/web/figures.py): a unit's and each unit's below it, for
this month, last month or the last 90 days, computed by the code that computes them in chat.

- 办结率, 按期结案率 and the categories: the appraisal's (bot/usecases/appraisal.py `judge`,
  the same as /appraisal and the monthly 通报; a month is the very `month_figures`).
- Average stars (满意度) and the median time to resolve: the weekly summary's tally
  (storage/summaries.py week_tallies, bot/domain/summary.py Tally) over the period.
- Reports by week: the summary chart's counts (created, closed) per ISO week, clipped to the
  period.

Read only; re-authorised per request (access.view_figures). Nothing here names a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from weakref import WeakKeyDictionary

from bot.domain import access
from bot.domain.appraisal import Figures, month_key, previous_month
from bot.domain.points import month_bounds
from bot.domain.summary import IsoWeek, Tally, roll_up, roll_up_counts
from bot.domain.units import Unit, UnitTree
from bot.domain.volunteers import subtree
from bot.notices import appraisal as appraisal_notices
from bot.services import Services
from bot.usecases import appraisal
from bot.usecases.results import Done, Refused, refuse

DAYS = 90


class Period(StrEnum):
    MONTH = "month"  # this month so far
    LAST_MONTH = "last_month"
    DAYS_90 = "90d"  # the last 90 days up to now


@dataclass(frozen=True, slots=True)
class Span:
    period: Period
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive
    as_of: datetime  # when the figures are judged: the end, or now while it runs
    month: str | None  # the month key for a month (its figures are /appraisal's)


def span(period: Period, now: datetime, services: Services) -> Span:
    """Returns PERIOD's bounds around NOW, in the office's calendar."""
    local = now.astimezone(services.tz)
    if period is Period.DAYS_90:
        return Span(period, now - timedelta(days=DAYS), now, now, None)
    year, month = local.year, local.month
    if period is Period.LAST_MONTH:
        year, month = previous_month(year, month)
    key = month_key(year, month)
    start, end = month_bounds(key, services.tz)
    return Span(period, start, end, min(end, now), key)


@dataclass(frozen=True, slots=True)
class UnitFigures:
    unit: Unit
    figures: Figures  # the appraisal's counts and rates
    tally: Tally  # the weekly summary's tally over the period (stars, times)


@dataclass(frozen=True, slots=True)
class WeekBar:
    week: IsoWeek
    first: date  # the first and last local day of the week inside the period
    last: date
    new: int
    closed: int


@dataclass(frozen=True, slots=True)
class Page:
    span: Span
    unit: UnitFigures  # the unit asked for (the member's own by default)
    below: list[UnitFigures]  # each unit directly below it
    categories: list[tuple[str, int]]  # (category code, reports received), most first
    weeks: list[WeekBar]
    parent: Unit | None  # the unit above, if the member may look at it too


async def _allowed(
    services: Services, by: int, unit: str | None, at: datetime, action: str
) -> tuple[str, UnitTree] | Refused:
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    code = unit or (staff.unit if staff is not None else "")
    if (rule := access.view_figures(staff, code, tree)) is not None:
        target = f"unit:{code}" if code in tree else None  # never record arbitrary input
        return await refuse(services, by, rule, target, action, at=at)
    return code, tree


async def figures(
    services: Services, *, by: int, unit: str | None, period: Period, at: datetime
) -> Done[Page] | Refused:
    """Returns PERIOD's figures of UNIT (default: BY's own unit) and of each unit below it."""
    allowed = await _allowed(services, by, unit, at, "web:/figures")
    if isinstance(allowed, Refused):
        return allowed
    code, tree = allowed
    when = span(period, at, services)
    data = await _judged(services, when, code, tree)
    tallies, weeks = await _summary(services, when, code, tree)

    def line(u: Unit) -> UnitFigures:
        return UnitFigures(u, data.rolled.get(u.code, Figures()), tallies.get(u.code, Tally()))

    mine = line(tree.get(code))
    staff = await services.people.staff(by)
    above = tree.get(code).parent
    parent = None
    if above is not None and access.view_figures(staff, above, tree) is None:
        parent = tree.get(above)
    return Done(
        Page(
            span=when,
            unit=mine,
            below=[line(child) for child in tree.children(code)],
            categories=mine.figures.top_categories(len(mine.figures.categories)),
            weeks=weeks,
            parent=parent,
        )
    )


async def workbook(
    services: Services, *, by: int, unit: str | None, period: Period, at: datetime, lang: str
) -> Done[tuple[str, bytes]] | Refused:
    """Returns (file name, XLSX) of the period's figures: the monthly 通报's workbook
    (bot/notices/appraisal.py xlsx) for UNIT, re-authorised like the page."""
    allowed = await _allowed(services, by, unit, at, "web:/figures.xlsx")
    if isinstance(allowed, Refused):
        return allowed
    code, tree = allowed
    when = span(period, at, services)
    data = await _judged(services, when, code, tree)
    report = appraisal.unit_report(services, data, code)
    categories = await services.units.categories()
    body = appraisal_notices.xlsx(services, report, lang, categories, tree)
    label = when.month or f"{when.start.astimezone(services.tz):%Y%m%d}-{DAYS}d"
    return Done((f"figures-{code}-{label}.xlsx", body))


def _scope(code: str, tree: UnitTree) -> list[str] | None:
    """CODE's subtree, None for the top unit (the whole office)."""
    return None if tree.get(code).parent is None else subtree(code, tree)


# The weekly summary's side of a finished period ((start, end, unit) → its tallies and weeks,
# with the tree they were rolled up on): judged as of the period's end, they cannot change.
# Per store, like the appraisal's finished months; at most KEEP_SUMMARIES, the oldest dropped.
_SUMMARIES: WeakKeyDictionary[
    object, dict[tuple[datetime, datetime, str], tuple[UnitTree, dict[str, Tally], list[WeekBar]]]
] = WeakKeyDictionary()
KEEP_SUMMARIES = 32


async def _summary(
    services: Services, when: Span, code: str, tree: UnitTree
) -> tuple[dict[str, Tally], list[WeekBar]]:
    """The weekly summary's tallies (rolled up, of CODE and each unit below it) and the weeks of
    CODE's subtree over WHEN."""
    finished = when.as_of >= when.end
    cache = _SUMMARIES.setdefault(services.store, {})
    key = (when.start, when.end, code)
    if finished and key in cache and cache[key][0] is tree:
        return cache[key][1], cache[key][2]
    raw = await services.store.summaries.week_tallies(
        when.start, when.end, when.as_of, _scope(code, tree)
    )
    rolled = roll_up(raw, tree)
    # Only what the page shows.
    shown = [code, *(child.code for child in tree.children(code))]
    tallies = {unit: rolled[unit] for unit in shown if unit in rolled}
    weeks = await _weeks(services, when, code, tree)
    if finished:
        cache[key] = (tree, tallies, weeks)
        while len(cache) > KEEP_SUMMARIES:
            del cache[next(iter(cache))]
    return tallies, weeks


async def _judged(services: Services, when: Span, code: str, tree: UnitTree) -> appraisal.MonthData:
    """The appraisal's figures for WHEN over CODE's subtree (a month: /appraisal's own)."""
    scope = _scope(code, tree)
    if when.month is not None:
        return await appraisal.month_figures(
            services, when.month, at=when.as_of, units=scope, reuse=True
        )
    label = f"{when.start.astimezone(services.tz):%Y-%m-%d}/{DAYS}d"
    return await appraisal.judge(
        services, label, when.start, when.end, at=when.as_of, units=scope, tree=tree
    )


async def _weeks(services: Services, when: Span, code: str, tree: UnitTree) -> list[WeekBar]:
    """(created, closed) at CODE's subtree per ISO week of WHEN up to its AS_OF (no weeks to
    come), each clipped to the period."""
    tz = services.tz
    week = IsoWeek.containing(when.start, tz)
    last = IsoWeek.containing(when.as_of - timedelta(microseconds=1), tz)
    scope = _scope(code, tree)
    bars = []
    while week <= last:
        start, end = max(week.start(tz), when.start), min(week.end(tz), when.as_of)
        raw = await services.store.summaries.week_counts(start, end, scope)
        counts = roll_up_counts(raw, tree)
        new, closed = counts.get(code, (0, 0))
        first = start.astimezone(tz).date()
        final = (end - timedelta(microseconds=1)).astimezone(tz).date()
        bars.append(WeekBar(week, first, final, new, closed))
        week = week.next()
    return bars
