"""/readyz's verdict from the backlogs and the last sweep (bot/domain/readiness.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.readiness import Backlog, Limits, readiness

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LIMITS = Limits(inbox_age=120, outbox_age=900, sweep_age=600)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


EMPTY = Backlog(0, None)

CASES = [
    # (name, inbox, outbox, last sweep, started, limits, ready, failing)
    ("fresh start, nothing waiting", EMPTY, EMPTY, None, ago(5), LIMITS, True, []),
    ("a young inbox backlog", Backlog(3, ago(119)), EMPTY, ago(1), ago(99), LIMITS, True, []),
    ("old inbox", Backlog(3, ago(121)), EMPTY, ago(1), ago(999), LIMITS, False, ["inbox"]),
    ("old outbox", EMPTY, Backlog(9, ago(901)), ago(1), ago(999), LIMITS, False, ["outbox"]),
    ("sweeps stalled", EMPTY, EMPTY, ago(601), ago(9999), LIMITS, False, ["sweeps"]),
    ("never swept, long up", EMPTY, EMPTY, None, ago(601), LIMITS, False, ["sweeps"]),
    ("sweep age unchecked", EMPTY, EMPTY, ago(10**6), ago(10**6), Limits(120, 900, 0), True, []),
    (
        "everything old",
        Backlog(1, ago(500)),
        Backlog(1, ago(5000)),
        ago(5000),
        ago(9999),
        LIMITS,
        False,
        ["inbox", "outbox", "sweeps"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("inbox", "outbox", "last", "started", "limits", "ready", "failing"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_readiness(
    inbox: Backlog,
    outbox: Backlog,
    last: datetime | None,
    started: datetime,
    limits: Limits,
    ready: bool,
    failing: list[str],
) -> None:
    verdict, body = readiness(
        NOW, inbox=inbox, outbox=outbox, last_sweep=last, started=started, limits=limits
    )
    assert verdict is ready
    assert body["failing"] == failing
    assert body["status"] == ("ready" if ready else "not ready")
    assert body["inbox"]["backlog"] == inbox.count
    assert body["outbox"]["backlog"] == outbox.count


def test_ages_are_reported_in_seconds() -> None:
    _, body = readiness(
        NOW,
        inbox=Backlog(2, ago(30)),
        outbox=EMPTY,
        last_sweep=ago(7),
        started=ago(100),
        limits=LIMITS,
    )
    assert body["inbox"]["oldest_age_seconds"] == 30
    assert body["outbox"]["oldest_age_seconds"] is None
    assert body["sweeps"] == {"last_pass_age_seconds": 7, "ran": True}


# Several instances on one PostgreSQL: a follower sweeps nothing itself and is judged by the
# "sweeps" leader's last pass as recorded in the database.
RECORDED = [
    # (name, own last pass, the recorded pass, started, ready)
    ("a follower, the leader swept a minute ago", None, ago(60), ago(9999), True),
    ("a follower, the leader's passes stalled", None, ago(601), ago(9999), False),
    ("a follower, nothing recorded, long up", None, None, ago(601), False),
    ("a follower, nothing recorded, just started", None, None, ago(5), True),
    ("its own pass newer than the record", ago(10), ago(700), ago(9999), True),
    ("a former leader, the new one swept since", ago(5000), ago(5), ago(9999), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("own", "recorded", "started", "ready"),
    [case[1:] for case in RECORDED],
    ids=[case[0] for case in RECORDED],
)
def test_the_sweeps_are_judged_by_the_newest_pass_of_any_instance(
    own: datetime | None, recorded: datetime | None, started: datetime, ready: bool
) -> None:
    verdict, body = readiness(
        NOW,
        inbox=EMPTY,
        outbox=EMPTY,
        last_sweep=own,
        recorded_sweep=recorded,
        started=started,
        limits=LIMITS,
    )
    assert verdict is ready
    assert body["failing"] == ([] if ready else ["sweeps"])
    assert body["sweeps"]["ran"] is (own is not None or recorded is not None)
