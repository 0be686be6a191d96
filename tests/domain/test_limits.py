"""Flood-limit rules: a sliding window per person, told once per window; report limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.limits import Verdict, Window, report_refusal

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
A, T, Q = Verdict.ALLOWED, Verdict.TELL, Verdict.QUIET


@pytest.mark.parametrize(
    ("limit", "offsets", "expected"),
    [
        (3, [0, 0, 0], [A, A, A]),
        (3, [0, 0, 0, 0, 0], [A, A, A, T, Q]),
        # the window slides: the first hit leaves it after exactly one window
        (2, [0, 0.5, 0.9, 1.0, 1.2], [A, A, T, A, Q]),
        # refused hits do not count, so a steady tapper gets through at the limit's pace
        (1, [0, 0.5, 1.0, 1.5, 2.0], [A, T, A, T, A]),
        # told at most once per window, however fast the refused hits come
        (1, [0, 0.1, 0.2, 0.9, 1.0, 1.05, 1.1], [A, T, Q, Q, A, Q, T]),
    ],
)
def test_a_window_allows_the_limit_then_tells_once(limit, offsets, expected):
    window = Window(limit, timedelta(seconds=1))
    got = [window.hit(7, T0 + timedelta(seconds=s)) for s in offsets]
    assert got == expected


def test_each_person_has_their_own_window():
    window = Window(1, timedelta(minutes=1))
    assert [window.hit(who, T0) for who in (1, 2, 1, 2)] == [A, A, T, T]


def test_idle_people_are_forgotten_when_many_are_tracked():
    window = Window(1, timedelta(seconds=1))
    window.PRUNE_AT = 3
    for who in range(5):
        window.hit(who, T0)
    window.hit(99, T0 + timedelta(seconds=5))
    assert set(window._tracks) == {99}


def _ago(*minutes: int) -> list[datetime]:
    return sorted(T0 - timedelta(minutes=m) for m in minutes)


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([], None),
        (_ago(*range(1, 10)) + _ago(*range(100, 2000, 100)), None),  # 9 this hour, 23 today
        (
            _ago(*range(5, 55, 5)),  # ten within the hour: the oldest, 50 minutes ago, frees one
            ("reports_per_hour", 10, T0 + timedelta(minutes=10)),
        ),
        (
            _ago(*range(5, 35, 5)) + _ago(61, 70),  # the hour holds only six of eight
            None,
        ),
        (
            _ago(*range(60, 60 + 30 * 40, 40)),  # thirty in a day, none within the hour
            ("reports_per_day", 30, T0 + timedelta(minutes=220)),
        ),
        (
            _ago(*range(1, 11)) + _ago(*range(120, 1320, 60)),  # both: the day's longer wait
            ("reports_per_day", 30, T0 + timedelta(minutes=180)),
        ),
        (  # reports older than a day do not count
            _ago(*range(1, 11)) + _ago(*range(1500, 3500, 100)),
            ("reports_per_hour", 10, T0 + timedelta(minutes=50)),
        ),
    ],
)
def test_report_refusal(times, expected):
    refusal = report_refusal(times, T0, per_hour=10, per_day=30)
    assert (None if refusal is None else (refusal.key, refusal.limit, refusal.until)) == expected
