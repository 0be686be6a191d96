"""/readyz: is the bot keeping up? Pure: the caller reads the figures and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Backlog:
    count: int
    oldest: datetime | None  # when the oldest waiting row arrived (inbox) or was queued (outbox)


@dataclass(frozen=True, slots=True)
class Limits:
    inbox_age: float  # seconds
    outbox_age: float
    sweep_age: float  # 0: not checked


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max(0.0, (now - then).total_seconds()), 3)


def readiness(
    now: datetime,
    *,
    inbox: Backlog,
    outbox: Backlog,
    last_sweep: datetime | None,
    started: datetime,
    limits: Limits,
    recorded_sweep: datetime | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Returns (ready, the JSON body): not ready when a backlog or the last sweep is too old.

    LAST_SWEEP is this process's last full pass; RECORDED_SWEEP the last one recorded in the
    database by whichever instance leads "sweeps" (several instances on one PostgreSQL: a
    follower sweeps nothing itself and is judged by the leader's passes). The newer counts;
    before any pass ended, the sweep age counts from STARTED.
    """
    inbox_age = _age(now, inbox.oldest)
    outbox_age = _age(now, outbox.oldest)
    passes = [t for t in (last_sweep, recorded_sweep) if t is not None]
    last_sweep = max(passes) if passes else None
    sweep_age = _age(now, last_sweep or started)
    failing: list[str] = []
    if inbox_age is not None and inbox_age > limits.inbox_age:
        failing.append("inbox")
    if outbox_age is not None and outbox_age > limits.outbox_age:
        failing.append("outbox")
    if limits.sweep_age and sweep_age is not None and sweep_age > limits.sweep_age:
        failing.append("sweeps")
    body: dict[str, Any] = {
        "status": "not ready" if failing else "ready",
        "database": "ok",
        "failing": failing,
        "inbox": {"backlog": inbox.count, "oldest_age_seconds": inbox_age},
        "outbox": {"backlog": outbox.count, "oldest_age_seconds": outbox_age},
        "sweeps": {"last_pass_age_seconds": sweep_age, "ran": last_sweep is not None},
    }
    return not failing, body
