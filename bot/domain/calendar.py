"""Working time (工作时间) in the office's timezone: working days, holidays and 调休 make-up days.

Which days are working days is decided, in order, by the office's own list (config holidays and
make-up workdays), then by a holiday lookup passed in (bot/calendar_sources.py: chinese-calendar,
then the holidays library), and for a year the lookup fails on, Monday to Friday. A year whose
days are estimated (the lookup says it is provisional: no announced 调休 days) or unknown is
logged once per year and process, unless the office lists days of that year itself. No library
knows a year's 调休 before the State Council announces it, so a computation must never fail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

log = logging.getLogger(__name__)

# Returns whether DAY is a working day; raises (NotImplementedError) for a year it does not know.
DayLookup = Callable[[date], bool]
# Tells whether the lookup's answers for a year are estimates (no announced 调休 days).
YearCheck = Callable[[int], bool]

# Years already warned about, so a sweep every 30 s logs the gap once, not every pass.
_warned_years: set[int] = set()

# The longest stretch searched for working time before giving up and counting wall-clock time;
# only a calendar configured with no working days at all gets there.
_MAX_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class Period:
    """One stretch of working hours in a day, e.g. 08:30–12:00."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Period:
        """Returns the period written 'HH:MM-HH:MM'; raises ValueError otherwise."""
        try:
            first, second = (part.strip() for part in text.replace("–", "-").split("-"))
            start, end = time.fromisoformat(first), time.fromisoformat(second)
        except ValueError:
            raise ValueError(f"{text!r} is not a period like '08:30-12:00'") from None
        if start >= end:
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start, end)

    @property
    def length(self) -> timedelta:
        return _at(date.min, self.end) - _at(date.min, self.start)


DEFAULT_PERIODS = (Period(time(8, 30), time(12, 0)), Period(time(13, 30), time(17, 30)))


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment)


def forget_warnings() -> None:
    """Lets the next uncovered year be warned about again (for tests)."""
    _warned_years.clear()


class WorkCalendar:
    """Adds working time to an instant: only working hours of working days count."""

    def __init__(
        self,
        tz: tzinfo,
        periods: Iterable[Period] = DEFAULT_PERIODS,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        library: DayLookup | None = None,
        provisional: YearCheck | None = None,
    ):
        self.tz = tz
        self.periods = tuple(sorted(periods, key=lambda p: p.start))
        if not self.periods:
            raise ValueError("a calendar needs at least one period of working hours")
        for before, after in zip(self.periods, self.periods[1:], strict=False):
            if after.start < before.end:
                raise ValueError("working-hour periods overlap")
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        if self.holidays & self.workdays:
            day = min(self.holidays & self.workdays)
            raise ValueError(f"{day} is listed both as a holiday and as a workday")
        self.library = library
        self.provisional = provisional
        self._office_years = {d.year for d in self.holidays | self.workdays}
        self._days: dict[date, bool] = {}

    @property
    def day_length(self) -> timedelta:
        """Returns the working time in one working day (one 'working day' of a window)."""
        return sum((p.length for p in self.periods), timedelta())

    def is_workday(self, day: date) -> bool:
        """Tells whether DAY is a working day (office list, then library, then Monday–Friday)."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.library is not None:
            try:
                working = bool(self.library(day))
            except Exception as exc:  # NotImplementedError for unannounced years; never crash
                # A year the office lists days for is covered by the office: no warning.
                if self._first_warning(day.year):
                    log.warning(
                        "no holiday calendar for %s (%s): counting Monday-Friday as working days;"
                        " add [calendar] holidays and workdays once they are announced",
                        day.year,
                        type(exc).__name__,
                    )
            else:
                if self._estimated(day.year) and self._first_warning(day.year):
                    log.warning(
                        "the working days of %s are provisional: statutory holidays estimated by"
                        " rule, no 调休 make-up workdays known; add [calendar] holidays and"
                        " workdays once the State Council announces them",
                        day.year,
                    )
                return working
        return day.weekday() < 5

    def _estimated(self, year: int) -> bool:
        """Tells whether the lookup's answers for YEAR are estimates (a provisional year)."""
        if self.provisional is None:
            return False
        try:
            return bool(self.provisional(year))
        except Exception:  # a failing check must not break a deadline either
            return True

    def _first_warning(self, year: int) -> bool:
        """Tells whether YEAR should be warned about now (once per process, unless the office
        lists days of it)."""
        if year in _warned_years or year in self._office_years:
            return False
        _warned_years.add(year)
        return True

    def add(self, start: datetime, span: timedelta) -> datetime:
        """Returns the instant SPAN of working time after START (the same tz as START)."""
        if span <= timedelta():
            return start
        local = start.astimezone(self.tz).replace(tzinfo=None)
        remaining = span
        day, cursor = local.date(), local
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                for period in self.periods:
                    begin = max(cursor, _at(day, period.start))
                    end = _at(day, period.end)
                    if begin >= end:
                        continue
                    if remaining <= end - begin:
                        return self._aware(begin + remaining).astimezone(start.tzinfo)
                    remaining -= end - begin
            day += timedelta(days=1)
            cursor = _at(day, time.min)
        log.error("no working time within %s days of %s; counting wall-clock time", _MAX_DAYS, day)
        return start + span

    def _aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.tz)
