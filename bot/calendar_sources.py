"""Mainland China's working days for any year, each year from the best source that knows it.

1. chinese-calendar (1.11: 2004–2026): the State Council's announced holidays and 调休 make-up
   workdays.
2. holidays' China calendar (0.109): statutory holidays computed by rule for every year (Spring
   Festival from the lunar calendar, National Day, with weekend days made good on the next
   weekdays, as the State Council usually does) and the announced 调休 workdays for 2001–2026.

The office's [calendar] holidays and workdays come before both (bot/domain/calendar.py). A year
for which neither library has the announced 调休 days is *provisional*: its holidays are
estimates and no make-up Saturday or Sunday is known, until the office lists its days.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import chinese_calendar

if TYPE_CHECKING:
    import holidays


@functools.cache
def _china(year: int) -> holidays.HolidayBase:
    # Imported here: ~4 MB resident, and only the years chinese-calendar lacks need it.
    import holidays

    return holidays.country_holidays("CN", years=year)


@functools.cache
def chinese_calendar_knows(year: int) -> bool:
    """Tells whether chinese-calendar has YEAR's announced holidays and 调休 days."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    """Tells whether DAY is a working day in mainland China, never failing for a later year."""
    if chinese_calendar_knows(day.year):
        return bool(chinese_calendar.is_workday(day))
    return bool(_china(day.year).is_working_day(day))


@functools.cache
def is_provisional(year: int) -> bool:
    """Tells whether YEAR's 调休 make-up workdays are known from neither library."""
    if chinese_calendar_knows(year):
        return False
    return not any(day.year == year for day in _china(year).weekend_workdays)


def source_of(year: int) -> str:
    """Returns which library decides YEAR's working days (for check-config)."""
    if chinese_calendar_knows(year):
        return "chinese-calendar"
    return "holidays (provisional)" if is_provisional(year) else "holidays"


def provisional_years(years: Iterable[int], office_days: Iterable[date]) -> list[int]:
    """Returns those of YEARS that are provisional and for which the office lists no days."""
    office_years = {day.year for day in office_days}
    return [year for year in years if year not in office_years and is_provisional(year)]
