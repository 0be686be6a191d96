"""Points (积分) from verified work only: an append-only ledger, monthly standings.

Points are written by the step that verifies the work — a resident confirming a wish, an
organiser checking someone in, a confirmed visit — never by the volunteer's own say-so. Each
(kind, ref, volunteer) earns at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from bot.domain.volunteers import mask_name


class PointKind(StrEnum):
    WISH = "wish"  # ref: the wish id
    CHECKIN = "checkin"  # ref: the activity id
    VISIT = "visit"  # ref: the visit id (care)
    REPORT = "report"  # ref: the report id (a 流动网格员's report that staff resolved)


@dataclass(frozen=True, slots=True)
class Entry:
    volunteer_id: int
    kind: PointKind
    ref: str
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    volunteer_id: int
    name: str  # masked: standings go to group chats
    points: int


def value_of(kind: PointKind, values: Mapping[str, int]) -> int:
    """Returns what KIND earns under the configured VALUES."""
    return int(values[kind.value])


def month_key(at: datetime, tz: tzinfo) -> str:
    """Returns the local month of AT, e.g. '2026-11'."""
    return at.astimezone(tz).strftime("%Y-%m")


def previous_month(key: str) -> str:
    year, month = (int(part) for part in key.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def month_bounds(key: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """Returns the local month KEY as [start, end) aware datetimes."""
    year, month = (int(part) for part in key.split("-"))
    start = datetime(year, month, 1, tzinfo=tz)
    end = (
        datetime(year + 1, 1, 1, tzinfo=tz)
        if month == 12
        else datetime(year, month + 1, 1, tzinfo=tz)
    )
    return start, end


def leaderboard_month(now: datetime, tz: tzinfo, day: int, hour: int) -> str | None:
    """Returns the month whose leaderboard is due at NOW: the month before, once DAY/HOUR passed."""
    local = now.astimezone(tz)
    if (local.day, local.hour) < (day, hour):
        return None
    return previous_month(month_key(now, tz))


def standings(totals: Iterable[tuple[int, str, int]], size: int) -> list[Standing]:
    """Returns the top SIZE of (volunteer, name, points) with shared ranks for equal points."""
    ordered = sorted((t for t in totals if t[2] > 0), key=lambda t: (-t[2], t[0]))
    out: list[Standing] = []
    for index, (volunteer_id, name, points) in enumerate(ordered[:size]):
        rank = out[-1].rank if out and out[-1].points == points else index + 1
        out.append(Standing(rank, volunteer_id, mask_name(name), points))
    return out
