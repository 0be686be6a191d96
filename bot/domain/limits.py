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


def report_refusal(
    hour_count: int, day_count: int, per_hour: int, per_day: int
) -> tuple[str, int] | None:
    """Returns (which limit, its size) if one more report would break a limit, else None."""
    if day_count >= per_day:
        return "reports_per_day", per_day
    if hour_count >= per_hour:
        return "reports_per_hour", per_hour
    return None
