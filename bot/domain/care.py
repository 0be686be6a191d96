"""五必访: vulnerable households, their visit cadence, and what the sweep does when a visit is due.

A household's next visit is due on a local date (`due_on`). Around it the sweep climbs a small
ladder, one rung per pass and never backwards: remind the visitor ahead of the date, tell them
on the date, nag once the visit counts as missed (due date + grace), nag again at an interval,
and finally escalate to the community (once). After downtime only the highest rung that applies
is acted on, so a restart sends one message per household, not a burst of stale ones.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from bot.domain.people import Role, Staff
from bot.domain.units import Tier, UnitTree


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of household ([[care.kinds]]): 重病 of 五必访, 孤寡老人 of 四进四访 …"""

    code: str
    zh: str
    en: str
    cadence: Cadence  # proposed when a household of this kind is registered
    group: str = ""

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Kinds:
    """The configured kinds, in order. A household keeps its kind's code when the kind leaves
    the configuration: it is then shown by its code and can no longer be chosen."""

    offered: tuple[Kind, ...]

    def get(self, code: str) -> Kind | None:
        return next((kind for kind in self.offered if kind.code == code), None)

    def name(self, code: str, lang: str) -> str:
        """Returns the configured name of CODE in LANG, or CODE itself if it is not configured."""
        kind = self.get(code)
        return kind.name(lang) if kind is not None else code

    def groups(self) -> list[tuple[str, list[Kind]]]:
        """Returns the kinds by group, groups in order of their first kind."""
        out: dict[str, list[Kind]] = {}
        for kind in self.offered:
            out.setdefault(kind.group, []).append(kind)
        return list(out.items())

    def ordered(self, seen: Iterable[str]) -> list[str]:
        """Returns the configured codes in order, then the codes in SEEN no longer configured."""
        known = [kind.code for kind in self.offered]
        return known + sorted(set(seen) - set(known))


class Outcome(StrEnum):
    MET = "met"
    NOT_HOME = "not_home"
    REFUSED = "refused"


class Stage(StrEnum):
    """How far the sweep has gone for the household's current due date."""

    SCHEDULED = "scheduled"  # nothing sent yet
    REMINDED = "reminded"  # told ahead of the due date
    DUE = "due"  # told on the due date
    MISSED = "missed"  # nagged: the visit is past due + grace
    ESCALATED = "escalated"  # the community was told; nothing more until a visit is logged


class CareAction(StrEnum):
    REMIND = "remind"
    DUE = "due"
    MISS = "miss"  # the first nag: the visit now counts as missed
    NAG = "nag"
    ESCALATE = "escalate"
    DEFER = "defer"  # something is due but it is quiet hours: nothing sent, try again later


class VisitorKind(StrEnum):
    STAFF = "staff"
    VOLUNTEER = "volunteer"


class CareError(ValueError):
    """Input that cannot become a household or a visit (the key names the message)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


MAX_LABEL = 60
MAX_NOTES = 1000
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Hours in which nobody is nagged (22:00–07:30 by default), in local time."""

    start: time = time(22, 0)
    end: time = time(7, 30)

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, at: datetime, tz: tzinfo) -> datetime:
        """Returns the first moment at or after AT (aware) that is outside quiet hours."""
        local = at.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return at
        day = local.date()
        if local.time().replace(tzinfo=None) >= self.end:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(at.tzinfo)


@dataclass(frozen=True, slots=True)
class CarePolicy:
    """The configured timings ([care] in the settings), with the office's time zone."""

    tz: tzinfo
    lead_days: int = 1  # remind this many days before the due date (0: no early reminder)
    notify_at: time = time(9, 0)  # local time of day reminders and nags go out
    grace_days: int = 2  # a visit counts as missed this many days after its due date
    nag_every_days: int = 1
    escalate_after_days: int = 2  # after it counts as missed, the community is told
    not_home_retry_days: int = 3  # nobody home: try again within this many days
    quiet: QuietHours = QuietHours()


@dataclass(frozen=True, slots=True)
class Moments:
    remind_at: datetime | None
    due_at: datetime
    missed_at: datetime
    escalate_at: datetime


@dataclass(frozen=True, slots=True)
class Household:
    kind: str  # a [[care.kinds]] code (possibly one no longer configured)
    unit: str
    label: str  # e.g. a room number: personal data, shown only to its visitor and staff
    cadence: Cadence
    visitor_id: int
    visitor_kind: VisitorKind
    due_on: date
    next_at: datetime | None
    created_by: int
    created_at: datetime
    notes: str = ""  # staff of the unit and above only: never to visitors, groups or logs
    stage: Stage = Stage.SCHEDULED
    nags: int = 0
    active: bool = True
    last_visit_on: date | None = None
    id: int | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class Visit:
    household_id: int
    visitor_id: int
    visitor_kind: VisitorKind
    at: datetime
    outcome: Outcome
    due_on: date  # the due date this visit answered
    wellbeing: int | None = None
    note: str = ""
    needs: bool = False
    report_id: int | None = None
    wish_id: int | None = None
    confirmed_by: int | None = None
    confirmed_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the sweep does for one household now, and the state it leaves behind."""

    action: CareAction | None
    stage: Stage
    nags: int
    next_at: datetime | None


# Cadence ------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Returns DAY moved by MONTHS, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def after_cadence(day: date, cadence: Cadence) -> date:
    """Returns the date one CADENCE after DAY."""
    if cadence is Cadence.WEEKLY:
        return day + timedelta(days=7)
    if cadence is Cadence.FORTNIGHTLY:
        return day + timedelta(days=14)
    if cadence is Cadence.MONTHLY:
        return add_months(day, 1)
    return add_months(day, 3)


def next_due(visited_on: date, cadence: Cadence, outcome: Outcome, policy: CarePolicy) -> date:
    """Returns when the next visit is due after one on VISITED_ON.

    Nobody home does not count as a visit: the visitor tries again within a few days.
    """
    regular = after_cadence(visited_on, cadence)
    if outcome is Outcome.NOT_HOME:
        return min(regular, visited_on + timedelta(days=policy.not_home_retry_days))
    return regular


def local_date(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


# The ladder ---------------------------------------------------------------------------------


def _at(day: date, policy: CarePolicy) -> datetime:
    return datetime.combine(day, policy.notify_at, tzinfo=policy.tz)


def moments(due_on: date, policy: CarePolicy) -> Moments:
    """Returns when each rung of the ladder falls for a visit due on DUE_ON."""
    due_at = _at(due_on, policy)
    remind_at = _at(due_on - timedelta(days=policy.lead_days), policy) if policy.lead_days else None
    missed_at = _at(due_on + timedelta(days=policy.grace_days + 1), policy)
    escalate_at = missed_at + timedelta(days=policy.escalate_after_days)
    return Moments(remind_at, due_at, missed_at, escalate_at)


def _next_nag(m: Moments, nags: int, policy: CarePolicy) -> datetime:
    return m.missed_at + timedelta(days=policy.nag_every_days * nags)


def next_moment(due_on: date, stage: Stage, nags: int, policy: CarePolicy) -> datetime | None:
    """Returns when the sweep should next look at a household in STAGE (None: never)."""
    m = moments(due_on, policy)
    if stage is Stage.SCHEDULED:
        return m.remind_at or m.due_at
    if stage is Stage.REMINDED:
        return m.due_at
    if stage is Stage.DUE:
        return m.missed_at
    if stage is Stage.MISSED:
        return min(_next_nag(m, nags, policy), m.escalate_at)
    return None


def decide(household: Household, now: datetime, policy: CarePolicy) -> Decision:
    """Returns the one thing to do for HOUSEHOLD at NOW: the highest rung reached, if any."""
    m = moments(household.due_on, policy)
    stage, nags = household.stage, household.nags
    action: CareAction | None = None
    if stage is Stage.ESCALATED:
        return Decision(None, stage, nags, None)
    if now >= m.escalate_at:
        action, stage = CareAction.ESCALATE, Stage.ESCALATED
    elif now >= m.missed_at:
        elapsed = (now - m.missed_at) // timedelta(days=policy.nag_every_days)
        if stage is not Stage.MISSED:
            action, stage, nags = CareAction.MISS, Stage.MISSED, int(elapsed) + 1
        elif now >= _next_nag(m, nags, policy):
            action, nags = CareAction.NAG, int(elapsed) + 1
    elif now >= m.due_at:
        if stage in (Stage.SCHEDULED, Stage.REMINDED):
            action, stage = CareAction.DUE, Stage.DUE
    elif m.remind_at is not None and now >= m.remind_at and stage is Stage.SCHEDULED:
        action, stage = CareAction.REMIND, Stage.REMINDED
    if action is not None and policy.quiet.contains(now.astimezone(policy.tz).time()):
        later = policy.quiet.next_end(now, policy.tz)
        return Decision(CareAction.DEFER, household.stage, household.nags, later)
    return Decision(action, stage, nags, next_moment(household.due_on, stage, nags, policy))


def schedule(household: Household, due_on: date, policy: CarePolicy) -> Household:
    """Returns HOUSEHOLD with a fresh ladder for a visit due on DUE_ON."""
    return replace(
        household,
        due_on=due_on,
        stage=Stage.SCHEDULED,
        nags=0,
        next_at=next_moment(due_on, Stage.SCHEDULED, 0, policy),
    )


def register(
    *,
    kind: str,
    unit: str,
    label: str,
    cadence: Cadence,
    visitor_id: int,
    visitor_kind: VisitorKind,
    notes: str,
    by: int,
    at: datetime,
    policy: CarePolicy,
) -> Household:
    """Returns a new household whose first visit is due one cadence after registration."""
    label = check_label(label)
    if len(notes) > MAX_NOTES:
        raise CareError("care.notes_too_long")
    today = local_date(at, policy.tz)
    household = Household(
        kind=kind,
        unit=unit,
        label=label,
        cadence=cadence,
        visitor_id=visitor_id,
        visitor_kind=visitor_kind,
        due_on=today,
        next_at=None,
        created_by=by,
        created_at=at,
        notes=notes.strip(),
    )
    return schedule(household, after_cadence(today, cadence), policy)


def change_cadence(household: Household, cadence: Cadence, policy: CarePolicy) -> Household:
    """Returns HOUSEHOLD on CADENCE, its next visit due one cadence after the last one."""
    anchor = household.last_visit_on or local_date(household.created_at, policy.tz)
    changed = replace(household, cadence=cadence)
    return schedule(changed, after_cadence(anchor, cadence), policy)


def log_visit(household: Household, visit: Visit, policy: CarePolicy) -> Household:
    """Returns HOUSEHOLD after VISIT: the next visit due from the cadence, the ladder reset."""
    if visit.wellbeing is not None and not 1 <= visit.wellbeing <= 5:
        raise CareError("visit.bad_wellbeing")
    if len(visit.note) > MAX_NOTE:
        raise CareError("visit.note_too_long")
    visited_on = local_date(visit.at, policy.tz)
    visited = replace(household, last_visit_on=visited_on)
    return schedule(visited, next_due(visited_on, household.cadence, visit.outcome, policy), policy)


def check_label(text: str) -> str:
    """Returns the label trimmed, or raises CareError if it is empty or too long."""
    label = " ".join(text.split())
    if not label:
        raise CareError("care.label_empty")
    if len(label) > MAX_LABEL:
        raise CareError("care.label_too_long")
    return label


# Who may do what ----------------------------------------------------------------------------

# External partners (物业, departments) are staff for their categories, not for care.
_CARE_ROLES = (
    Role.GRID_WORKER,
    Role.GRID_HEAD,
    Role.COMMUNITY,
    Role.STREET,
    Role.DISTRICT,
    Role.ADMIN,
)


def is_care_staff(staff: Staff | None) -> bool:
    return staff is not None and staff.role in _CARE_ROLES


def covers(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF works at UNIT or above it: they manage its households, see notes."""
    if not is_care_staff(staff):
        return False
    assert staff is not None
    if staff.role is Role.ADMIN:
        return True
    return unit in tree and staff.unit in tree and tree.is_within(unit, staff.unit)


def may_manage(staff: Staff | None, household: Household, tree: UnitTree) -> bool:
    """Tells whether STAFF may see the household's notes, edit and deactivate it."""
    return covers(staff, household.unit, tree)


def may_log(user_id: int, staff: Staff | None, household: Household, tree: UnitTree) -> bool:
    """Tells whether USER_ID may log a visit: the assigned visitor, or staff covering the unit."""
    if not household.active:
        return False
    return household.visitor_id == user_id or may_manage(staff, household, tree)


def needs_confirmation(visit: Visit) -> bool:
    """Tells whether staff must confirm VISIT (a volunteer's; points come only from that)."""
    return visit.visitor_kind is VisitorKind.VOLUNTEER and visit.confirmed_at is None


def nearest_care_staff(
    unit: str, tree: UnitTree, staff: Iterable[Staff], *, from_tier: Tier | None = None
) -> list[Staff]:
    """Returns the care staff of the nearest staffed unit at or above UNIT (admins aside),
    starting the climb at FROM_TIER's unit when there is one."""
    people = [s for s in staff if is_care_staff(s) and s.role is not Role.ADMIN]
    chain = tree.chain(unit)
    start = tree.unit_at_tier(unit, from_tier) if from_tier is not None else None
    for candidate in chain[chain.index(start) if start in chain else 0 :]:
        here = [s for s in people if s.unit == candidate.code]
        if here:
            return sorted(here, key=lambda s: s.user_id)
    return []


def escalation_targets(unit: str, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who is told when a visit at UNIT stays missed: its community's staff (社区)."""
    return nearest_care_staff(unit, tree, staff, from_tier=Tier.COMMUNITY)


def confirmers(unit: str, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who is asked to confirm a volunteer's visit at UNIT: the nearest care staff."""
    return nearest_care_staff(unit, tree, staff)


# Monthly figures ------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int] | None:
    """Returns (year, month) for 'YYYY-MM', or None if it is not a month."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        return None
    year, month = int(parts[0]), int(parts[1])
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def month_bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """Returns the month's first local midnight and the next month's, as aware datetimes."""
    start = date(year, month, 1)
    end = add_months(start, 1)
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(end, time(0), tzinfo=tz),
    )
