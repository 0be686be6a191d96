"""1+1+1+N grid teams: who stands beside the full-time grid worker, and what each owes.

A grid's team is its full-time grid worker (网格员), its grid head (网格长), part-time grid workers
(兼职网格员, `Role.PART_TIME`, on the grid), building heads (楼栋长, on a unit of level
`building`), entrance heads (单元长, on a unit of level `entrance` below a building: the code says
"unit" for every node of the tree, so a building's 单元 is an entrance) and, per building, one
party member linked as its contact (一名党员一幢楼).

- A part-time grid worker is routed a grid's reports only when the grid has no full-time worker
  (bot/domain/routing.py) and acts on the reports they hold like a grid worker.
- Building and entrance heads are never routed reports: they are told, for information, of each
  new report placed in their building or entrance (no reporter's name or phone).
- Each helper sends a 工作月汇报 (monthly report) in chat; a sweep reminds them on the configured
  day and lists the missing to their grid head after the grace days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree

BUILDING = "building"
ENTRANCE = "entrance"
NUMBER_MAX = 100_000
TEXT_MAX = 500

# Who may see a building's team (/building): the grid's staff and everyone above them.
VIEWERS = (Role.GRID_WORKER, Role.GRID_HEAD, Role.COMMUNITY, Role.STREET, Role.DISTRICT)
# Who links a building's party member and reads the helpers' monthly reports of their area.
LEADS = (Role.COMMUNITY, Role.STREET, Role.DISTRICT)


@dataclass(frozen=True, slots=True)
class Link:
    """一名党员一幢楼: USER_ID is BUILDING's party member contact, set by SET_BY."""

    building: str
    user_id: int
    name: str
    set_by: int | None
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone who may be linked to a building: an approved party-member volunteer or staff."""

    user_id: int
    name: str
    staff: bool


@dataclass(frozen=True, slots=True)
class Team:
    """A building's team as /building shows it."""

    building: str
    grid: str | None
    workers: tuple[Staff, ...]  # full-time grid workers of the grid
    heads: tuple[Staff, ...]  # grid heads of the grid
    part_timers: tuple[Staff, ...]
    building_heads: tuple[Staff, ...]
    entrance_heads: tuple[Staff, ...]  # of the building's entrances
    party_member: Link | None


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """A helper's 工作月汇报 for MONTH ("YYYY-MM", local): ANSWERS by prompt code."""

    user_id: int
    month: str
    unit: str
    grid: str | None
    role: Role
    answers: dict[str, str]
    sent_at: datetime


def at_level(unit: str, tree: UnitTree, level: str) -> str | None:
    """Returns the unit of LEVEL at or above UNIT, or None."""
    if unit not in tree:
        return None
    return next((u.code for u in tree.chain(unit) if u.level == level), None)


def grid_of(unit: str, tree: UnitTree) -> str | None:
    return at_level(unit, tree, "grid")


def informed(unit: str, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who is told of a new report placed at UNIT: the heads of the building and of the
    entrance at or above it (an entrance head hears of their own entrance only)."""
    if unit not in tree:
        return []
    chain = {u.code for u in tree.chain(unit)}
    return sorted(
        (s for s in staff if s.role.is_building_team and s.unit in chain),
        key=lambda s: s.user_id,
    )


def team(building: str, tree: UnitTree, staff: Sequence[Staff], link: Link | None) -> Team:
    """Returns BUILDING's team from the active STAFF of its grid, itself and its entrances."""
    grid = grid_of(building, tree)
    entrances = {u.code for u in tree.children(building) if u.level == ENTRANCE}

    def of(role: Role, units: set[str]) -> tuple[Staff, ...]:
        return tuple(sorted((s for s in staff if s.role is role and s.unit in units), key=_order))

    at_grid = {grid} if grid else set()
    return Team(
        building=building,
        grid=grid,
        workers=of(Role.GRID_WORKER, at_grid),
        heads=of(Role.GRID_HEAD, at_grid),
        part_timers=of(Role.PART_TIME, at_grid),
        building_heads=of(Role.BUILDING_HEAD, {building}),
        entrance_heads=of(Role.ENTRANCE_HEAD, entrances),
        party_member=link,
    )


def _order(staff: Staff) -> tuple[str, int]:
    return (staff.unit, staff.user_id)


def covers(staff: Staff | None, unit: str, tree: UnitTree, roles: Sequence[Role]) -> bool:
    """Tells whether STAFF (one of ROLES, or an admin) works at UNIT or above it."""
    if staff is None or unit not in tree:
        return False
    if staff.role is Role.ADMIN:
        return True
    return staff.role in roles and staff.unit in tree and tree.is_within(unit, staff.unit)


def may_view(staff: Staff | None, building: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may see BUILDING's team: the grid's staff and above."""
    return covers(staff, building, tree, VIEWERS)


def may_link(staff: Staff | None, building: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may link or unlink BUILDING's party member: community and above."""
    return covers(staff, building, tree, LEADS)


def may_read_reports(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may read the monthly reports of UNIT's helpers: its grid head and the
    staff of the community and above."""
    return covers(staff, unit, tree, (Role.GRID_HEAD, *LEADS))


def may_report(staff: Staff | None) -> bool:
    """Tells whether STAFF owes a 工作月汇报: 兼职网格员, 楼栋长 and 单元长."""
    return staff is not None and staff.role.is_helper


def reading_scope(staff: Staff) -> str | None:
    """Returns the unit whose helpers' reports STAFF reads (None: every unit, for admins)."""
    return None if staff.role is Role.ADMIN else staff.unit


def grid_leads(grid: str, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who is told of GRID's missing monthly reports: its grid heads, else the
    supervisors of the nearest staffed unit above it, else the admins."""
    people = sorted(staff, key=lambda s: s.user_id)
    if grid in tree:
        for unit in tree.chain(grid):
            here = [
                s
                for s in people
                if s.unit == unit.code and s.role.is_supervisor and s.role is not Role.ADMIN
            ]
            if here:
                return here
    return [s for s in people if s.role is Role.ADMIN]


# The monthly report's calendar ---------------------------------------------------------------


def month_of(at: datetime, tz: tzinfo) -> str:
    """Returns AT's local month as "YYYY-MM"."""
    return at.astimezone(tz).strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class Due:
    """What the monthly report sweep owes at a moment: reminders, the missing lists, or both
    are past their time (DIGEST: the reminders are skipped, one action per item)."""

    month: str
    digest: bool


def due(now: datetime, tz: tzinfo, *, day: int, hour: int, grace_days: int) -> Due | None:
    """Returns what is due for the current local month at NOW: nothing before DAY at HOUR,
    reminders until GRACE_DAYS later, then the missing lists (until the month ends)."""
    local = now.astimezone(tz)
    remind_at = datetime(local.year, local.month, day, hour, tzinfo=tz)
    if local < remind_at:
        return None
    digest_at = remind_at + timedelta(days=grace_days)
    return Due(local.strftime("%Y-%m"), local >= digest_at)


def month_label(month: str) -> date:
    """Returns the first day of MONTH ("YYYY-MM")."""
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def previous_month(month: str) -> str:
    first = month_label(month)
    before = first - timedelta(days=1)
    return before.strftime("%Y-%m")


def parse_month(text: str) -> str | None:
    """Returns TEXT as "YYYY-MM" if it is one (2026-11, 2026/11, 202611), else None."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    if len(cleaned) == 6 and cleaned.isdigit():
        cleaned = f"{cleaned[:4]}-{cleaned[4:]}"
    parts = cleaned.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    year, number = int(parts[0]), int(parts[1])
    if not (2000 <= year <= 2100 and 1 <= number <= 12):
        return None
    return f"{year:04d}-{number:02d}"


def parse_answer(kind: str, text: str | None) -> str | None:
    """Returns TEXT as the answer to a prompt of KIND, or None if it is no answer: a whole
    number 0–NUMBER_MAX (full-width digits too), or one line of text up to TEXT_MAX."""
    if text is None:
        return None
    text = text.strip()
    if kind == "number":
        digits = text.translate(_FULL_WIDTH)
        if not digits.isdigit() or not digits.isascii() or int(digits) > NUMBER_MAX:
            return None
        return str(int(digits))
    if not text or len(text) > TEXT_MAX:
        return None
    return text


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def missing(helpers: Iterable[Staff], sent: Iterable[int]) -> list[Staff]:
    """Returns the HELPERS who have not sent this month's report (SENT: who did)."""
    done = set(sent)
    return sorted((s for s in helpers if s.user_id not in done), key=_order)
