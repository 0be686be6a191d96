"""台账 export: the periods offered, a typed period, and what a ledger row holds.

Pure: dates are given (the caller's today, in the configured time zone), never read here.
A period is two local dates, both inclusive; `bounds` turns it into [start, end) instants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.appraisal import History, outcome

# The periods offered as buttons, in order (catalog keys ledger.period_<key>).
PERIODS = ("this_month", "last_month", "this_quarter", "last_quarter", "this_year")
MAX_DAYS = 3 * 366 + 1  # a typed period spans at most three years
_TYPED = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:\s|~|～|至|to|—|–|,|，)\s*(\d{4}-\d{1,2}-\d{1,2})\s*$"
)


class PeriodError(ValueError):
    """A typed period that cannot be used; KEY names the catalog message."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()}~{self.last.isoformat()}"


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_before(day: date) -> date:
    """Returns the first day of the month before DAY's month."""
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def period(key: str, today: date) -> Period:
    """Returns the offered period KEY (one of PERIODS) around TODAY; raises PeriodError."""
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    if key == "this_month":
        return Period(month, today)
    if key == "last_month":
        return Period(_month_before(month), month - timedelta(days=1))
    if key == "this_quarter":
        return Period(quarter, today)
    if key == "last_quarter":
        start = _quarter_start(quarter - timedelta(days=1))
        return Period(start, quarter - timedelta(days=1))
    if key == "this_year":
        return Period(date(today.year, 1, 1), today)
    raise PeriodError("ledger.bad_period")


def parse_period(text: str) -> Period:
    """Returns the period typed as `YYYY-MM-DD YYYY-MM-DD` (both inclusive); raises PeriodError."""
    match = _TYPED.match(text or "")
    if match is None:
        raise PeriodError("ledger.bad_period")
    try:
        first, last = (date.fromisoformat(_padded(part)) for part in match.groups())
    except ValueError:
        raise PeriodError("ledger.bad_date") from None
    return checked(first, last)


def checked(first: date, last: date) -> Period:
    """Returns FIRST..LAST as a period; raises PeriodError if reversed or too long."""
    if last < first:
        raise PeriodError("ledger.reversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("ledger.too_long")
    return Period(first, last)


def _padded(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def bounds(span: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """Returns SPAN as [start, end) aware instants: its first local midnight to the one after
    its last day."""
    start = datetime.combine(span.first, time(), tzinfo=tz)
    end = datetime.combine(span.last + timedelta(days=1), time(), tzinfo=tz)
    return start, end


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One case as the ledger shows it: no reporter, no text, no place finer than its unit."""

    history: History
    status: str
    tier: str
    holder_unit: str
    holder_role: str | None  # the assignee's role, if any
    stars: int | None

    @property
    def number(self) -> str:
        return f"R{self.history.report_id:06d}"


@dataclass(frozen=True, slots=True)
class CaseSteps:
    """When each step of a case happened (None: not yet), and whether it met its deadline."""

    accepted: datetime | None
    resolved: datetime | None
    closed: datetime | None
    rejected: datetime | None
    on_time: bool | None  # None: not due yet (open within its deadline) or rejected


def case_steps(record: CaseRecord, as_of: datetime) -> CaseSteps:
    """Returns the step times of RECORD (the first acceptance, the last resolution, the close)
    and its 按期 judgement as of AS_OF (bot/domain/appraisal.py: the same as 按期结案率)."""
    accepted = resolved = closed = rejected = None
    for step in record.history.steps:
        if step.action == "accept" and accepted is None:
            accepted = step.at
        elif step.action == "resolve":
            resolved = step.at
        elif step.new in ("closed", "closed_unverified"):
            closed = step.at
        elif step.new == "rejected":
            rejected = step.at
    result = outcome(record.history, as_of)
    on_time = None
    if result is not None and result.received and result.due:
        on_time = result.on_time
    return CaseSteps(accepted, resolved, closed, rejected, on_time)


@dataclass(frozen=True, slots=True)
class VisitRecord:
    id: int
    at: datetime
    unit: str
    household_kind: str
    visitor_kind: str
    outcome: str
    wellbeing: int | None
    needs: bool
    report_id: int | None
    wish_id: int | None
    confirmed: bool


@dataclass(frozen=True, slots=True)
class PatrolRecord:
    id: int
    at: datetime
    unit: str
    kind: str
    worker: str  # the staff member's name (staff, not residents)
    worker_role: str | None
    findings: int


@dataclass(frozen=True, slots=True)
class PointsRecord:
    at: datetime
    unit: str | None
    volunteer: str  # masked name (张**), or "" for an erased volunteer
    kind: str
    ref: str
    points: int


@dataclass(frozen=True, slots=True)
class WishRecord:
    id: int
    created_at: datetime
    unit: str
    category: str
    status: str
    claimed_at: datetime | None
    done_at: datetime | None

    @property
    def number(self) -> str:
        return f"W{self.id:06d}"


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    id: int
    starts_at: datetime
    unit: str
    title: str
    place: str
    capacity: int
    going: int
    attended: int


@dataclass(frozen=True, slots=True)
class CallInRecord:
    """One 吹哨 call-in: which party, on which case, and when each step happened (no note,
    no photo, no person)."""

    id: int
    called_at: datetime
    report_id: int
    unit: str
    party: str
    state: str
    acked_at: datetime | None
    done_at: datetime | None
    withdrawn_at: datetime | None
    stage: int  # 0 in time, 1 the party nagged, n ≥ 2 escalated n - 1 levels

    @property
    def case(self) -> str:
        return f"R{self.report_id:06d}"


@dataclass(frozen=True, slots=True)
class BookingRecord:
    """One booking (预约) of a resource: its slot, state and whether the person came (no person,
    no purpose)."""

    id: int
    starts_at: datetime
    unit: str
    resource: str
    status: str
    attendance: str | None
    created_at: datetime

    @property
    def number(self) -> str:
        return f"Y{self.id:06d}"
