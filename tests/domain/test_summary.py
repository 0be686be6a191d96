"""Weekly summary arithmetic: ISO weeks in the office's zone, send times, medians, rates, ranks."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.groups import may_bind
from bot.domain.people import Role, Staff
from bot.domain.summary import (
    IsoWeek,
    Tally,
    completion_rate,
    due_week,
    median,
    rank,
    roll_up,
    roll_up_counts,
    send_time,
    summarise,
)
from bot.domain.units import Unit, UnitTree

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE = time(9, 0)

TREE = UnitTree(
    [
        Unit("S1", "青山街道", "street"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("C2", "明月社区", "community", "S1"),
        Unit("G1", "第一网格", "grid", "C1"),
        Unit("G2", "第二网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("2026-W47", IsoWeek(2026, 47)),
        ("2026W01", IsoWeek(2026, 1)),
        ("2026-w53", IsoWeek(2026, 53)),
        (" 2027-W1 ", IsoWeek(2027, 1)),
    ],
)
def test_an_iso_week_is_parsed_from_its_usual_spellings(text, week):
    assert IsoWeek.parse(text) == week


@pytest.mark.parametrize("text", ["2026-47", "W47", "2026-W54", "2027-W53", "2026-W00", ""])
def test_a_week_that_does_not_exist_is_refused(text):
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


def test_2026_has_53_iso_weeks_because_it_starts_on_a_thursday():
    assert IsoWeek(2026, 52).next() == IsoWeek(2026, 53)
    assert IsoWeek(2026, 53).next() == IsoWeek(2027, 1)
    assert IsoWeek(2027, 1).previous() == IsoWeek(2026, 53)
    assert IsoWeek(2027, 52).next() == IsoWeek(2028, 1)  # 2027 has 52


@pytest.mark.parametrize(
    ("week", "start", "end"),
    [
        # Monday 00:00 in Shanghai is Sunday 16:00 UTC.
        (
            IsoWeek(2026, 47),
            datetime(2026, 11, 15, 16, tzinfo=UTC),
            datetime(2026, 11, 22, 16, tzinfo=UTC),
        ),
        (
            IsoWeek(2026, 53),
            datetime(2026, 12, 27, 16, tzinfo=UTC),
            datetime(2027, 1, 3, 16, tzinfo=UTC),
        ),
        (
            IsoWeek(2027, 1),
            datetime(2027, 1, 3, 16, tzinfo=UTC),
            datetime(2027, 1, 10, 16, tzinfo=UTC),
        ),
        (
            IsoWeek(2026, 1),
            datetime(2025, 12, 28, 16, tzinfo=UTC),
            datetime(2026, 1, 4, 16, tzinfo=UTC),
        ),
    ],
)
def test_week_bounds_are_local_mondays_expressed_in_utc(week, start, end):
    assert week.start(SHANGHAI) == start
    assert week.end(SHANGHAI) == end


@pytest.mark.parametrize(
    ("local", "week"),
    [
        (datetime(2026, 11, 23, 0, 30), IsoWeek(2026, 48)),  # Monday 00:30: the new week
        (datetime(2026, 11, 22, 23, 59), IsoWeek(2026, 47)),  # Sunday night
        (datetime(2027, 1, 1, 12, 0), IsoWeek(2026, 53)),  # New Year's Day belongs to 2026-W53
        (datetime(2027, 1, 4, 0, 0), IsoWeek(2027, 1)),
    ],
)
def test_the_week_of_a_moment_is_taken_on_the_office_calendar(local, week):
    at = local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    assert IsoWeek.containing(at, SHANGHAI) == week


def test_a_utc_moment_late_on_sunday_is_already_monday_in_shanghai():
    assert IsoWeek.containing(datetime(2026, 11, 22, 17, tzinfo=UTC), SHANGHAI) == IsoWeek(2026, 48)


@pytest.mark.parametrize(
    ("week", "weekday", "expected_local"),
    [
        (IsoWeek(2026, 47), 1, datetime(2026, 11, 23, 9, 0)),  # ISO 1 = Monday
        (IsoWeek(2026, 47), 7, datetime(2026, 11, 29, 9, 0)),  # ISO 7 = Sunday (PTB would say 0)
        (IsoWeek(2026, 53), 1, datetime(2027, 1, 4, 9, 0)),
        (IsoWeek(2026, 52), 5, datetime(2027, 1, 1, 9, 0)),
    ],
)
def test_a_summary_is_due_on_the_iso_weekday_after_its_week(week, weekday, expected_local):
    assert send_time(week, weekday, NINE, SHANGHAI) == expected_local.replace(
        tzinfo=SHANGHAI
    ).astimezone(UTC)


def test_weekday_zero_is_refused_rather_than_read_as_sunday():
    with pytest.raises(ValueError):
        send_time(IsoWeek(2026, 47), 0, NINE, SHANGHAI)


@pytest.mark.parametrize(
    ("local_now", "weekday", "expected"),
    [
        (datetime(2026, 11, 23, 9, 0), 1, IsoWeek(2026, 47)),  # exactly at send time
        (datetime(2026, 11, 23, 8, 59), 1, IsoWeek(2026, 46)),  # not yet: the week before
        (datetime(2026, 11, 26, 15, 0), 1, IsoWeek(2026, 47)),  # Thursday: still W47
        (datetime(2026, 11, 26, 15, 0), 5, IsoWeek(2026, 46)),  # Friday sender: W47 not yet
        (datetime(2027, 1, 4, 9, 30), 1, IsoWeek(2026, 53)),  # across the year end
        (datetime(2027, 1, 11, 9, 30), 1, IsoWeek(2027, 1)),
    ],
)
def test_the_due_week_is_the_latest_whose_send_time_has_passed(local_now, weekday, expected):
    now = local_now.replace(tzinfo=SHANGHAI).astimezone(UTC)
    assert due_week(now, weekday, NINE, SHANGHAI) == expected


def test_back_lists_the_weeks_ending_with_this_one_across_the_year_end():
    assert IsoWeek(2027, 2).back(4) == [
        IsoWeek(2026, 52),
        IsoWeek(2026, 53),
        IsoWeek(2027, 1),
        IsoWeek(2027, 2),
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([5], 5.0),
        ([3, 1, 2], 2.0),
        ([4, 1, 3, 2], 2.5),
        ([0.5, 0.5, 100], 0.5),
    ],
)
def test_median_is_the_middle_value_or_the_mean_of_the_middle_two(values, expected):
    assert median(values) == expected


@pytest.mark.parametrize(
    ("concluded", "received", "expected"),
    [(0, 0, None), (0, 4, 0.0), (3, 4, 0.75), (4, 4, 1.0), (5, 4, 1.0)],
)
def test_completion_rate_is_concluded_over_received_and_never_above_one(
    concluded, received, expected
):
    assert completion_rate(concluded, received) == expected


def _tally(**fields) -> Tally:
    return Tally(**fields)


def test_roll_up_adds_each_unit_to_itself_and_every_ancestor():
    raw = {
        "B1": _tally(new=2, received=2, concluded=1, median_accept_hours=1.0, stars=[5]),
        "G2": _tally(new=3, received=2, concluded=2, median_accept_hours=4.0, stars=[3]),
        "C1": _tally(median_accept_hours=3.0),  # its subtree's (storage takes it in SQL)
        "C2": _tally(new=1, received=1),
        "GONE": _tally(new=99),  # a unit no longer in the tree is ignored
    }
    rolled = roll_up(raw, TREE)
    assert rolled["G1"].new == 2
    assert rolled["C1"].new == 5
    assert rolled["S1"].new == 6
    assert rolled["C1"].completion_rate == 0.75
    # A raw tally's medians are already its subtree's: kept as they are, never added up.
    assert rolled["C1"].median_accept_hours == 3.0
    assert rolled["B1"].median_accept_hours == 1.0 and rolled["G1"].median_accept_hours is None
    assert rolled["S1"].average_stars == 4.0
    assert rolled["G2"].new == 3 and rolled["C2"].new == 1


def test_top_categories_are_the_most_reported_with_ties_by_code():
    tally = _tally()
    tally.categories.update({"road": 3, "litter": 5, "dispute": 3, "safety": 1})
    assert tally.top_categories(3) == [("litter", 5), ("dispute", 3), ("road", 3)]


def test_units_are_ranked_by_completion_rate_with_shared_places_and_unrated_last():
    units = [Unit(code, code, "grid", "C1") for code in ("A", "B", "C", "D", "E")]
    entries = [
        (units[0], _tally(received=4, concluded=2)),  # 50 %
        (units[1], _tally(received=2, concluded=2)),  # 100 %
        (units[2], _tally()),  # nothing received
        (units[3], _tally(received=4, concluded=4)),  # 100 %, more received: listed first
        (units[4], _tally(received=10, concluded=1)),  # 10 %
    ]
    ranked = [(r.place, r.unit.code) for r in rank(entries)]
    assert ranked == [(1, "D"), (1, "B"), (3, "A"), (4, "E"), (0, "C")]


def test_summarise_gives_the_unit_its_children_ranked_and_one_bar_per_week():
    rolled = roll_up(
        {"G1": _tally(new=2, received=2, concluded=2), "G2": _tally(new=1, received=1)}, TREE
    )
    weeks = IsoWeek(2026, 47).back(3)
    history = {
        weeks[0]: roll_up_counts({"G1": (1, 0)}, TREE),
        weeks[1]: roll_up_counts({}, TREE),
        weeks[2]: roll_up_counts({"G1": (2, 1), "G2": (1, 1)}, TREE),
    }
    at = datetime(2026, 11, 23, 1, tzinfo=UTC)
    summary = summarise("C1", IsoWeek(2026, 47), at, rolled, history, TREE)
    assert summary.tally.new == 3
    assert [r.unit.code for r in summary.ranking] == ["G1", "G2"]
    assert [(b.week.week, b.new, b.closed) for b in summary.history] == [
        (45, 1, 0),
        (46, 0, 0),
        (47, 3, 2),
    ]


@pytest.mark.parametrize(
    ("role", "home", "target", "allowed"),
    [
        (Role.COMMUNITY, "C1", "C1", True),  # their own unit
        (Role.COMMUNITY, "C1", "G1", True),  # below it
        (Role.GRID_WORKER, "G1", "B1", True),  # a building of their grid
        (Role.STREET, "S1", "C2", True),
        (Role.COMMUNITY, "C1", "S1", False),  # above them
        (Role.COMMUNITY, "C1", "C2", False),  # a sibling
        (Role.GRID_WORKER, "G1", "G2", False),
        (Role.PARTNER, "C1", "C1", False),  # partners hold no unit of the grid
        (Role.ADMIN, "C2", "C1", True),
        (Role.COMMUNITY, "C1", "NOPE", False),
    ],
)
def test_only_staff_of_a_unit_or_above_may_bind_a_group_to_it(role, home, target, allowed):
    staff = Staff(1, "x", role, home)
    assert may_bind(staff, target, TREE) is allowed


def test_nobody_binds_without_being_staff():
    assert may_bind(None, "C1", TREE) is False
