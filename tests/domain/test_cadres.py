"""bot/domain/cadres.py: periods, the reminder moment, what counts toward a duty, quotas."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import cadres
from bot.domain.cadres import Attachment, Duty, Per
from bot.domain.patrols import PatrolKind
from bot.domain.people import Role, Staff
from bot.domain.units import Unit, UnitTree

SHANGHAI = ZoneInfo("Asia/Shanghai")
TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "社区", "community", "S1"),
        Unit("G1", "网格一", "grid", "C1"),
        Unit("G2", "网格二", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)
KNOCK = Duty("knock", "网格叮咚敲门", "Door-knocking", PatrolKind.DOORKNOCK, 1, Per.WEEK)
SAFE = Duty("safe", "安全巡查", "Safety", PatrolKind.SAFETY, 2, Per.MONTH)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "per", "start", "end"),
    [
        # Tuesday 10:00 in Shanghai: the week from Monday 00:00 local (Sunday 16:00 UTC)
        (utc(2026, 11, 24, 2), Per.WEEK, utc(2026, 11, 22, 16), utc(2026, 11, 29, 16)),
        # Sunday 23:30 UTC is already Monday in Shanghai: the next week
        (utc(2026, 11, 29, 23, 30), Per.WEEK, utc(2026, 11, 29, 16), utc(2026, 12, 6, 16)),
        (utc(2026, 11, 30, 17), Per.MONTH, utc(2026, 11, 30, 16), utc(2026, 12, 31, 16)),
    ],
)
def test_periods_are_local_weeks_from_monday_and_local_months(at, per, start, end):
    assert cadres.period_bounds(per, at, SHANGHAI) == (start, end)


@pytest.mark.parametrize(
    ("at", "due"),
    [
        (utc(2026, 11, 24, 2), None),  # Tuesday: Friday 09:00 has not come
        (utc(2026, 11, 27, 0, 59), None),  # a minute before
        (utc(2026, 11, 27, 1), "2026-11-23"),  # Friday 09:00 in Shanghai
        (utc(2026, 11, 29, 15), "2026-11-23"),  # down until Sunday night: still that week, once
        (utc(2026, 11, 30, 2), None),  # the next Monday: its own moment has not come
    ],
)
def test_reminders_are_due_from_the_weeks_moment_until_the_week_ends(at, due):
    assert cadres.reminders_due(at, SHANGHAI, weekday=5, hour=9) == due


def test_patrols_count_in_the_grid_and_below_only():
    rows = [
        ("B1", "doorknock", 2),
        ("G1", "doorknock", 1),
        ("G2", "doorknock", 5),
        ("X", "doorknock", 9),
    ]
    assert cadres.counted(rows, "G1", TREE) == {"doorknock": 3}
    items = cadres.progress([KNOCK, SAFE], {"doorknock": 3})
    assert [(p.done, p.needed, p.behind) for p in items] == [(3, 1, False), (0, 2, True)]


@pytest.mark.parametrize(
    ("year", "month", "weeks", "knock", "safe"),
    [(2026, 11, 5, 5, 2), (2026, 12, 4, 4, 2), (2026, 2, 4, 4, 2)],
)
def test_a_months_quota_counts_the_weeks_that_start_in_it(year, month, weeks, knock, safe):
    assert cadres.mondays(year, month) == weeks
    assert cadres.month_needed(KNOCK, year, month) == knock
    assert cadres.month_needed(SAFE, year, month) == safe


@pytest.mark.parametrize(
    ("role", "unit", "grid", "manages", "serves"),
    [
        ("community", "C1", "G1", True, True),
        ("street", "S1", "G2", True, True),
        ("grid_head", "G1", "G1", False, False),
        ("grid_worker", "G1", "G1", False, False),
        ("partner", "C1", "G1", False, True),
        ("community", "C1", "B1", True, True),  # may_manage only; the use case wants a grid
    ],
)
def test_who_manages_and_who_may_be_sent_down(role, unit, grid, manages, serves):
    staff = Staff(1, "s", Role(role), unit)
    assert cadres.may_manage(staff, grid, TREE) is manages
    assert cadres.may_serve(staff) is serves


def test_an_attachment_without_duties_carries_every_duty():
    at = utc(2026, 11, 24)
    assert cadres.duties_of(Attachment(1, "G1", at), [KNOCK, SAFE]) == [KNOCK, SAFE]
    assert cadres.duties_of(Attachment(1, "G1", at, ("safe", "gone")), [KNOCK, SAFE]) == [SAFE]
    assert cadres.is_grid("G1", TREE) and not cadres.is_grid("B1", TREE)
    assert cadres.page_of(17, 5) == (2, 3) and cadres.page_of(0, 0) == (0, 1)
