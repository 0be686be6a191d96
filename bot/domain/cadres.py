"""下沉干部: staff of a department or of the street sent down to a grid, with duties and quotas.

A cadre is a member of staff attached to a grid (an `Attachment`, from chat or from the config
file). Each duty (网格叮咚敲门 at least once a week …) names the patrol kind that counts toward
it: a patrol of that kind logged by the cadre in the grid or below it, within the period
(the local week from Monday, or the local month), counts. Pure rules: no clock, no storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from bot.domain.care import covers, month_bounds
from bot.domain.patrols import PatrolKind
from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree

GRID = "grid"  # the unit level cadres are attached to
PAGE = 8  # cadres or candidates per page of a list card

# Who attaches and detaches cadres: community and street offices, the district, admins.
_MANAGERS = (Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN)
# Who can be sent down: staff of a department or partner, of the street, the district or a
# community. A grid's own workers and heads serve it already.
_CADRE_ROLES = (Role.PARTNER, Role.COMMUNITY, Role.STREET, Role.DISTRICT)


class Per(StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Duty:
    """A duty and its quota: COUNT patrols of KIND per PER."""

    code: str
    zh: str
    en: str
    kind: PatrolKind
    count: int
    per: Per

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Attachment:
    """USER_ID sent down to the grid UNIT since SINCE (until UNTIL). DUTIES: the codes of the
    duties they carry there; empty: every configured duty."""

    user_id: int
    unit: str
    since: datetime
    duties: tuple[str, ...] = ()
    source: str = "chat"  # "config": from [[cadres.members]], changed only in the file
    until: datetime | None = None
    attached_by: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a cadre is with one duty in one period."""

    duty: Duty
    done: int
    needed: int

    @property
    def behind(self) -> bool:
        return self.done < self.needed


def is_grid(unit: str, tree: UnitTree) -> bool:
    return unit in tree and tree.get(unit).level == GRID


def may_manage(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may list, attach and detach the cadres of the grid UNIT: community,
    street and district staff at or above it, and admins."""
    return staff is not None and staff.role in _MANAGERS and covers(staff, unit, tree)


def may_serve(staff: Staff | None) -> bool:
    """Tells whether STAFF (active) may be sent down to a grid."""
    return staff is not None and staff.role in _CADRE_ROLES


def duties_of(attachment: Attachment, duties: Sequence[Duty]) -> list[Duty]:
    """Returns the configured duties ATTACHMENT carries (unknown codes are ignored)."""
    if not attachment.duties:
        return list(duties)
    return [d for d in duties if d.code in attachment.duties]


def week_start(at: datetime, tz: tzinfo) -> date:
    """Returns the local Monday of AT's week."""
    day = at.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def period_bounds(per: Per, at: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """Returns the local week (from Monday) or month AT falls in, as aware datetimes."""
    if per is Per.MONTH:
        local = at.astimezone(tz)
        return month_bounds(local.year, local.month, tz)
    start = datetime.combine(week_start(at, tz), time(0), tzinfo=tz)
    return start, datetime.combine(week_start(at, tz) + timedelta(days=7), time(0), tzinfo=tz)


def week_key(at: datetime, tz: tzinfo) -> str:
    """Returns the reminder period AT falls in: its local Monday, "2026-12-07"."""
    return week_start(at, tz).isoformat()


def reminder_moment(at: datetime, tz: tzinfo, weekday: int, hour: int) -> datetime:
    """Returns the moment of AT's week the reminders go out (WEEKDAY 1 = Monday … 7 = Sunday)."""
    day = week_start(at, tz) + timedelta(days=weekday - 1)
    return datetime.combine(day, time(hour), tzinfo=tz)


def reminders_due(at: datetime, tz: tzinfo, weekday: int, hour: int) -> str | None:
    """Returns the week whose reminders are due at AT (its key), or None before its moment.
    After downtime only the week AT is in: a missed week is not reminded late."""
    if at < reminder_moment(at, tz, weekday, hour):
        return None
    return week_key(at, tz)


def counted(rows: Iterable[tuple[str, str, int]], grid: str, tree: UnitTree) -> dict[str, int]:
    """Returns patrols per kind from ROWS (unit, kind, count) logged in GRID or below it."""
    kinds: dict[str, int] = {}
    for unit, kind, n in rows:
        if unit in tree and grid in tree and tree.is_within(unit, grid):
            kinds[kind] = kinds.get(kind, 0) + n
    return kinds


def progress(duties: Sequence[Duty], per_kind: Mapping[str, int]) -> list[Progress]:
    """Returns each duty's progress from the patrols counted per kind in its period."""
    return [Progress(d, per_kind.get(d.kind.value, 0), d.count) for d in duties]


def mondays(year: int, month: int) -> int:
    """Returns how many weeks start (on a Monday) in the month."""
    day = date(year, month, 1)
    first = day + timedelta(days=(7 - day.weekday()) % 7)
    count = 0
    while first.month == month:
        count += 1
        first += timedelta(days=7)
    return count


def month_needed(duty: Duty, year: int, month: int) -> int:
    """Returns what DUTY asks in the month: its count, or for a weekly duty its count for
    each week that starts in the month."""
    return duty.count if duty.per is Per.MONTH else duty.count * mondays(year, month)


def page_of(count: int, page: int) -> tuple[int, int]:
    """Returns (the page to show, within bounds, and how many pages COUNT items take)."""
    pages = max(1, -(-count // PAGE))
    return min(max(page, 0), pages - 1), pages
