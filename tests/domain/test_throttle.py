"""bot/domain/throttle.py: token buckets per client (the web guard's rate limit)."""

from __future__ import annotations

import pytest

from bot.domain.throttle import Buckets


@pytest.mark.parametrize(
    ("rate", "burst", "times", "expected"),
    [
        # a burst is served at once, the next waits for a token
        (1.0, 3, [0, 0, 0, 0], [0.0, 0.0, 0.0, 1.0]),
        # tokens come back at the rate
        (2.0, 1, [0, 0, 0.5, 0.5], [0.0, 0.5, 0.0, 0.5]),
        # a refused request takes nothing: asking again later is served once a token is back
        (1.0, 1, [0, 0.25, 0.5, 1.0], [0.0, 0.75, 0.5, 0.0]),
        # a long pause refills only up to the burst
        (1.0, 2, [0, 0, 100, 100, 100], [0.0, 0.0, 0.0, 0.0, 1.0]),
        # a clock that goes back gives nothing
        (1.0, 1, [10, 5], [0.0, 1.0]),
    ],
)
def test_a_client_is_served_its_burst_then_at_its_rate(rate, burst, times, expected):
    buckets = Buckets(rate, burst)

    assert [pytest.approx(buckets.take("a", at)) for at in times] == expected


def test_each_client_has_its_own_bucket():
    buckets = Buckets(1.0, 1)

    assert [buckets.take(who, 0) for who in ("a", "a", "b", "b")] == [0.0, 1.0, 0.0, 1.0]


def test_refilled_buckets_are_forgotten_and_busy_ones_kept(monkeypatch):
    monkeypatch.setattr(Buckets, "PRUNE_AT", 3)
    buckets = Buckets(1.0, 2)
    for who in ("a", "b", "c"):
        buckets.take(who, 0)
    buckets.take("d", 0.5)  # a, b, c are still refilling: kept
    assert len(buckets._buckets) == 4
    buckets.take("e", 0.5)
    buckets.take("e", 0.5)  # d, e busy; at 0.5 nothing has refilled yet
    buckets.take("f", 2)  # by 2 s a, b, c and d are full again: forgotten

    assert set(buckets._buckets) == {"e", "f"}
    assert buckets.take("a", 2) == 0.0 and buckets.take("a", 2) == 0.0  # a starts full
