"""bot/domain/ledger.py: the offered periods, typed periods and their bounds, table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.ledger import PERIODS, Period, PeriodError, bounds, parse_period, period

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("key", "today", "first", "last"),
    [
        ("this_month", date(2026, 11, 18), date(2026, 11, 1), date(2026, 11, 18)),
        ("last_month", date(2026, 11, 18), date(2026, 10, 1), date(2026, 10, 31)),
        ("last_month", date(2026, 1, 5), date(2025, 12, 1), date(2025, 12, 31)),
        ("last_month", date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
        ("this_quarter", date(2026, 11, 18), date(2026, 10, 1), date(2026, 11, 18)),
        ("this_quarter", date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1)),
        ("last_quarter", date(2026, 11, 18), date(2026, 7, 1), date(2026, 9, 30)),
        ("last_quarter", date(2026, 2, 10), date(2025, 10, 1), date(2025, 12, 31)),
        ("this_year", date(2026, 11, 18), date(2026, 1, 1), date(2026, 11, 18)),
    ],
)
def test_offered_periods(key, today, first, last):
    assert period(key, today) == Period(first, last)


def test_every_offered_period_is_known_and_others_are_refused():
    assert len(PERIODS) == 5
    with pytest.raises(PeriodError):
        period("next_decade", date(2026, 11, 18))


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-11-01 2026-11-30", date(2026, 11, 1), date(2026, 11, 30)),
        ("  2026-11-01   2026-11-30 ", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-11-01~2026-11-30", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-11-01 至 2026-11-30", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-1-5 2026-2-3", date(2026, 1, 5), date(2026, 2, 3)),
        ("2026-11-03 2026-11-03", date(2026, 11, 3), date(2026, 11, 3)),
    ],
)
def test_typed_periods(text, first, last):
    assert parse_period(text) == Period(first, last)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "ledger.bad_period"),
        ("上个月", "ledger.bad_period"),
        ("2026-11-01", "ledger.bad_period"),
        ("2026/11/01 2026/11/30", "ledger.bad_period"),
        ("2026-11-01 2026-11-30 2026-12-01", "ledger.bad_period"),
        ("2026-02-30 2026-03-01", "ledger.bad_date"),
        ("2026-13-01 2026-12-01", "ledger.bad_date"),
        ("2026-11-30 2026-11-01", "ledger.reversed"),
        ("2020-01-01 2026-11-30", "ledger.too_long"),
    ],
)
def test_bad_typed_periods_name_their_message(text, key):
    with pytest.raises(PeriodError) as error:
        parse_period(text)
    assert error.value.key == key


def test_bounds_are_local_midnights_with_the_last_day_included():
    start, end = bounds(Period(date(2026, 11, 1), date(2026, 11, 30)), SHANGHAI)
    assert start.astimezone(UTC) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
