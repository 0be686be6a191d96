"""Working days from chinese-calendar, then holidays (2027 on), under the office's own days."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot import calendar_sources
from bot import settings as settings_module
from bot.cli import describe
from bot.domain import calendar as calendar_module
from bot.settings import Settings
from bot.usecases.deadlines import deadline_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROVISIONAL_2027 = "calendar: the working days of 2027 are provisional"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def fresh_warnings() -> Iterator[None]:
    calendar_module.forget_warnings()
    yield
    calendar_module.forget_warnings()


def with_calendar(config_path: Path, holidays: list[str], workdays: list[str]) -> Settings:
    text = config_path.read_text(encoding="utf-8")
    quoted = ", ".join
    config_path.write_text(
        f"{text}\n[calendar]\nholidays = [{quoted(holidays)}]\nworkdays = [{quoted(workdays)}]\n",
        encoding="utf-8",
    )
    return settings_module.load(config_path)


def test_2026_is_exactly_as_chinese_calendar_has_it():
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar_sources.is_workday(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    assert calendar_sources.source_of(2026) == "chinese-calendar"
    assert not calendar_sources.is_provisional(2026)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2027-01-01", False),  # New Year's Day, a Friday
        ("2027-02-04", True),
        ("2027-02-05", False),  # 除夕 (Spring Festival's eve), a Friday
        ("2027-02-08", False),  # Spring Festival, Monday
        ("2027-02-10", False),  # Wednesday: the weekend days made good
        ("2027-02-11", True),
        ("2027-10-01", False),  # National Day
        ("2027-10-05", False),  # its weekend made good
        ("2027-10-06", True),
        ("2027-02-20", False),  # an ordinary Saturday: no 调休 known yet
    ],
)
def test_2027_holidays_come_from_the_holidays_library(day, working):
    assert calendar_sources.is_workday(date.fromisoformat(day)) is working


def test_a_year_without_announced_make_up_workdays_is_provisional():
    assert calendar_sources.is_provisional(2027)
    assert calendar_sources.source_of(2027) == "holidays (provisional)"
    assert calendar_sources.provisional_years([2026, 2027, 2028], []) == [2027, 2028]
    assert calendar_sources.provisional_years([2027, 2028], [date(2027, 2, 20)]) == [2028]


def test_deadlines_run_over_the_2027_spring_festival_with_one_warning(settings: Settings, caplog):
    caplog.set_level(logging.WARNING, logger="bot.domain.calendar")
    calendar = deadline_rules(settings).calendar
    # Thursday 4 February 16:00 + 2 working hours: the holiday runs to Wednesday the 10th.
    assert calendar.add(local("2027-02-04 16:00"), timedelta(hours=2)) == local("2027-02-11 09:00")
    assert calendar.add(local("2026-12-31 16:00"), timedelta(hours=2)) == local("2027-01-04 09:00")
    assert [r.getMessage()[:40] for r in caplog.records] == [
        "the working days of 2027 are provisional"
    ]


def test_the_office_s_days_win_over_both_libraries(config_path: Path, caplog):
    caplog.set_level(logging.WARNING, logger="bot.domain.calendar")
    # The office's (imagined) announcement: 2027-02-11 off, Saturday 02-20 a make-up day, and
    # a 2026 day chinese-calendar calls a working day turned into a holiday.
    settings = with_calendar(
        config_path, ["2027-02-11", "2026-11-25"], ["2027-02-20", "2027-02-06"]
    )
    calendar = deadline_rules(settings).calendar
    assert not calendar.is_workday(date(2027, 2, 11))
    assert calendar.is_workday(date(2027, 2, 20))
    assert calendar.is_workday(date(2027, 2, 6))  # even over a statutory holiday
    assert not calendar.is_workday(date(2026, 11, 25))
    assert calendar.add(local("2027-02-04 16:00"), timedelta(hours=2)) == local("2027-02-06 09:00")
    assert not caplog.records  # 2027 is the office's now: not provisional
    assert PROVISIONAL_2027 not in "\n".join(describe(settings, date(2026, 12, 6)))


@pytest.mark.parametrize(
    ("today", "noted"),
    [
        (date(2026, 12, 6), True),  # next year's days are due: 2027 is provisional
        (date(2026, 3, 1), False),  # 2026 is announced; next year not asked about yet
        (date(2027, 3, 1), True),  # in 2027 itself
    ],
)
def test_check_config_notes_a_provisional_year(settings: Settings, today, noted):
    lines = describe(settings, today)
    assert any(line.startswith(f"  - {PROVISIONAL_2027}") for line in lines) is noted
    if noted:
        assert "Notes (the file is valid; these may still be worth a look):" in lines
