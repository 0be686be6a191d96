"""Flood limits: how many of something one person may do in a window, and when to say so.

Pure: times are passed in. A person over a limit is told once per window (the first refusal),
not once per message, so a flood of messages never becomes a flood of replies.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Verdict(StrEnum):
    ALLOWED = "allowed"
    TELL = "tell"  # refused, and the person has not been told in this window
    QUIET = "quiet"  # refused, already told


@dataclass
class _Track:
    hits: deque[datetime] = field(default_factory=deque)
    told_at: datetime | None = None


class Window:
    """At most LIMIT allowed hits per person in any WINDOW; refused hits do not count."""

    PRUNE_AT = 10_000  # people tracked before idle ones are forgotten

    def __init__(self, limit: int, window: timedelta):
        self.limit = limit
        self.window = window
        self._tracks: dict[int, _Track] = {}

    def hit(self, who: int, at: datetime) -> Verdict:
        """Counts one hit by WHO at AT; returns whether it is allowed or how to refuse it."""
        track = self._tracks.setdefault(who, _Track())
        since = at - self.window
        while track.hits and track.hits[0] <= since:
            track.hits.popleft()
        if len(track.hits) < self.limit:
            track.hits.append(at)
            if len(self._tracks) > self.PRUNE_AT:
                self._prune(since)
            return Verdict.ALLOWED
        if track.told_at is not None and track.told_at > since:
            return Verdict.QUIET
        track.told_at = at
        return Verdict.TELL

    def _prune(self, since: datetime) -> None:
        idle = [who for who, t in self._tracks.items() if not t.hits or t.hits[-1] <= since]
        for who in idle:
            del self._tracks[who]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one more report is refused: which limit, its size, and when a report fits again."""

    key: str  # reports_per_hour or reports_per_day
    limit: int
    until: datetime


def _free_at(times: list[datetime], window: timedelta, limit: int) -> datetime:
    """When fewer than LIMIT of TIMES (oldest first) lie in the WINDOW before it."""
    return times[len(times) - limit] + window


def report_refusal(
    times: list[datetime], now: datetime, per_hour: int, per_day: int
) -> Refusal | None:
    """Returns why one more report at NOW would break a limit, else None.

    TIMES are when the person's recent reports were made. The day's wait is the longer
    one, so it is told first.
    """
    day = sorted(t for t in times if t > now - timedelta(days=1))
    if len(day) >= per_day:
        return Refusal("reports_per_day", per_day, _free_at(day, timedelta(days=1), per_day))
    hour = [t for t in day if t > now - timedelta(hours=1)]
    if len(hour) >= per_hour:
        return Refusal("reports_per_hour", per_hour, _free_at(hour, timedelta(hours=1), per_hour))
    return None
