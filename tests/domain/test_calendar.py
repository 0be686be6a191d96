"""Working time: hours, weekends, statutory holidays, 调休 make-up days, office overrides."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot.domain import calendar as calendar_module
from bot.domain.calendar import Period, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def fresh_warnings() -> Iterator[None]:
    calendar_module.forget_warnings()
    yield
    calendar_module.forget_warnings()


def office(holidays: list[str] = (), workdays: list[str] = ()) -> WorkCalendar:  # type: ignore[assignment]
    return WorkCalendar(
        SHANGHAI,
        holidays=[date.fromisoformat(d) for d in holidays],
        workdays=[date.fromisoformat(d) for d in workdays],
        library=chinese_calendar.is_workday,
    )


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-11-24 10:00", 2, "2026-11-24 12:00"),  # Tuesday morning
        ("2026-11-24 11:00", 2, "2026-11-24 14:30"),  # over the lunch break
        ("2026-11-24 12:30", 1, "2026-11-24 14:30"),  # started in the lunch break
        ("2026-11-24 07:00", 1, "2026-11-24 09:30"),  # started before work
        ("2026-11-24 17:00", 2, "2026-11-25 10:00"),  # over the night
        ("2026-11-24 20:00", 1, "2026-11-25 09:30"),  # started after work
        ("2026-11-27 17:00", 2, "2026-11-30 10:00"),  # Friday evening → Monday
        ("2026-11-28 10:00", 1, "2026-11-30 09:30"),  # started on a Saturday
        ("2026-11-24 10:00", 22.5, "2026-11-27 10:00"),  # three working days of 7.5 h
        ("2026-11-24 10:00", 2.0, "2026-11-24 12:00"),  # ends exactly at the lunch break
        # National Day 2026: 10-01…10-07 off, Saturday 10-10 is a 调休 working day.
        ("2026-09-30 16:00", 22.5, "2026-10-10 16:00"),
        # Spring Festival 2026: Saturday 02-14 is a make-up working day, 02-15…02-23 off.
        ("2026-02-13 16:00", 7.5, "2026-02-14 16:00"),
        ("2026-02-14 16:00", 7.5, "2026-02-24 16:00"),
        # The turn of the year: 2027 is not in chinese-calendar, so Monday–Friday counts.
        ("2026-12-31 16:00", 22.5, "2027-01-05 16:00"),
        ("2026-12-31 16:00", 2, "2027-01-01 09:00"),
    ],
)
def test_working_time_is_added_only_in_working_hours_of_working_days(start, hours, expected):
    calendar = office()
    assert calendar.add(local(start), timedelta(hours=hours)) == local(expected)


@pytest.mark.parametrize(
    ("holidays", "workdays", "start", "hours", "expected"),
    [
        # The office declares New Year's Day 2027 (not yet in the library) a holiday.
        (["2027-01-01"], [], "2026-12-31 16:00", 22.5, "2027-01-06 16:00"),
        # … and a 2027 Saturday a make-up working day.
        (["2027-01-01"], ["2027-01-02"], "2026-12-31 16:00", 2, "2027-01-02 09:00"),
        # An office holiday overrides the library's 调休 working day.
        (["2026-10-10"], [], "2026-09-30 16:00", 22.5, "2026-10-12 16:00"),
        # An office workday overrides the library's weekend.
        ([], ["2026-11-28"], "2026-11-27 17:00", 2, "2026-11-28 10:00"),
        # An office holiday on an ordinary Wednesday.
        (["2026-11-25"], [], "2026-11-24 17:00", 2, "2026-11-26 10:00"),
    ],
)
def test_office_holidays_and_workdays_override_the_library(
    holidays, workdays, start, hours, expected
):
    calendar = office(holidays, workdays)
    assert calendar.add(local(start), timedelta(hours=hours)) == local(expected)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-10-01", False),  # National Day
        ("2026-10-08", True),
        ("2026-10-10", True),  # 调休 Saturday
        ("2026-10-11", False),  # ordinary Sunday
        ("2026-02-14", True),  # 调休 Saturday before the Spring Festival
        ("2026-02-16", False),  # Spring Festival, a Monday
        ("2004-01-01", False),  # the first year the library knows
        ("2027-01-01", True),  # unknown year: a Friday counts as working
        ("2027-01-02", False),  # unknown year: a Saturday does not
        ("2003-12-31", True),  # before the library: Monday–Friday again
    ],
)
def test_working_days_come_from_the_library_then_monday_to_friday(day, working):
    assert office().is_workday(date.fromisoformat(day)) is working


def test_a_year_no_source_covers_is_warned_about_once(caplog):
    caplog.set_level(logging.WARNING, logger="bot.domain.calendar")
    for calendar in (office(), office()):  # even across calendars (each sweep builds one)
        start = local("2026-12-31 16:00")
        for hours in (2, 10, 40, 100):
            calendar.add(start, timedelta(hours=hours))
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    office().add(local("2028-03-01 10:00"), timedelta(hours=1))
    assert [r for r in caplog.records if "2028" in r.getMessage()]


def test_a_year_the_office_lists_itself_is_not_warned_about(caplog):
    caplog.set_level(logging.WARNING, logger="bot.domain.calendar")
    calendar = office(holidays=["2027-01-01"])
    calendar.add(local("2026-12-31 16:00"), timedelta(hours=40))
    assert not caplog.records


def test_a_library_that_fails_in_any_way_never_breaks_a_deadline():
    def broken(day: date) -> bool:
        raise RuntimeError("data file missing")

    calendar = WorkCalendar(SHANGHAI, library=broken)
    assert calendar.add(local("2026-11-27 17:00"), timedelta(hours=2)) == local("2026-11-30 10:00")


def test_without_a_library_every_year_is_monday_to_friday():
    calendar = WorkCalendar(SHANGHAI)
    assert calendar.add(local("2026-09-30 16:00"), timedelta(hours=2)) == local("2026-10-01 09:00")


def test_a_calendar_with_no_working_days_falls_back_to_wall_clock_time():
    everything = [date(2026, 1, 1) + timedelta(days=i) for i in range(3 * 366 + 10)]
    calendar = WorkCalendar(SHANGHAI, holidays=everything)
    start = local("2026-01-01 10:00")
    assert calendar.add(start, timedelta(hours=2)) == start + timedelta(hours=2)


def test_a_result_keeps_the_timezone_of_the_start():
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    due = office().add(start, timedelta(hours=2))
    assert due == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_a_working_day_is_the_sum_of_the_periods():
    assert office().day_length == timedelta(hours=7, minutes=30)
    custom = WorkCalendar(SHANGHAI, [Period.parse("09:00-17:00")])
    assert custom.day_length == timedelta(hours=8)


@pytest.mark.parametrize("text", ["8-12", "12:00-08:00", "09:00", "09:00-09:00", "nine-five"])
def test_a_malformed_period_is_refused(text):
    with pytest.raises(ValueError):
        Period.parse(text)


def test_overlapping_periods_and_a_day_both_off_and_on_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(SHANGHAI, [Period.parse("08:00-12:00"), Period.parse("11:00-13:00")])
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(SHANGHAI, holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 1)])


def test_periods_are_parsed_with_an_en_dash_too():
    assert Period.parse("08:30–12:00") == Period(time(8, 30), time(12, 0))


def weekdays_with_estimates(estimated_years: set[int]) -> dict:
    """A lookup that knows every year (Monday–Friday) and calls ESTIMATED_YEARS provisional."""
    return {
        "library": lambda day: day.weekday() < 5,
        "provisional": lambda year: year in estimated_years,
    }


@pytest.mark.parametrize(
    ("office_days", "estimated", "warned"),
    [
        ([], {2030}, {2030}),  # an estimated year: one warning
        ([], set(), set()),  # announced years: none
        ([date(2030, 2, 1)], {2030}, set()),  # the office lists its own days: none
        ([], {2029, 2030}, {2029, 2030}),  # each estimated year once
    ],
)
def test_a_provisional_year_is_warned_about_once_unless_the_office_lists_its_days(
    caplog, office_days, estimated, warned
):
    caplog.set_level(logging.WARNING, logger="bot.domain.calendar")
    for _ in range(2):  # a second calendar (the next sweep pass) does not warn again
        calendar = WorkCalendar(
            SHANGHAI, holidays=office_days, **weekdays_with_estimates(estimated)
        )
        for month in range(1, 13):
            for year in (2029, 2030):
                calendar.add(local(f"{year}-{month:02d}-03 10:00"), timedelta(days=5))
    messages = [r.getMessage() for r in caplog.records]
    assert all("provisional" in m for m in messages)
    assert sorted(m.split("of ")[1][:4] for m in messages) == sorted(str(y) for y in warned)


def test_a_provisional_check_that_fails_counts_as_provisional_and_never_breaks(caplog):
    def broken(year: int) -> bool:
        raise RuntimeError("no data")

    caplog.set_level(logging.WARNING, logger="bot.domain.calendar")
    calendar = WorkCalendar(SHANGHAI, library=lambda day: day.weekday() < 5, provisional=broken)
    assert calendar.add(local("2030-03-01 17:00"), timedelta(hours=2)) == local("2030-03-04 10:00")
    assert len(caplog.records) == 1
