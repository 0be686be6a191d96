"""The dashboard's home (handlers/web/home.py): a member's open reports counted by tier, and
their pins on the map, most urgent first.

An open report here is one still waiting for staff: open (待接单) or accepted (处置中), the same
as Open311's "open" and /metrics' overdue gauge. Nothing here carries a reporter, a contact or
free text: a pin is a case number, a category, a place and a colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import dashboard
from bot.domain.people import Staff
from bot.domain.reports import Status
from bot.domain.units import Tier, UnitTree

OPEN = (Status.OPEN, Status.ACCEPTED, Status.CHECKING, Status.REVIEWING)  # 核实 / 复查 are in hand


@dataclass(frozen=True, slots=True)
class Scope:
    """Which reports a member sees (bot/domain/dashboard.py), as storage filters them: placed or
    held within UNITS (None: every unit) and of CATEGORIES (None: every one), or assigned to
    ASSIGNEE whatever their place."""

    units: frozenset[str] | None
    categories: frozenset[str] | None
    assignee: int


def scope_of(staff: Staff, tree: UnitTree) -> Scope:
    """Returns what STAFF sees on the dashboard, the same rule as dashboard.sees."""
    return Scope(dashboard.area(staff, tree), dashboard.categories(staff), staff.user_id)


@dataclass(frozen=True, slots=True)
class OpenReport:
    """What the home page reads of an open report: no reporter, contact or description."""

    id: int
    category: str
    unit: str  # where the problem is
    tier: Tier
    status: Status
    lat: float | None  # the reporter's location pin, if one was sent
    lon: float | None
    due_at: datetime | None

    @property
    def number(self) -> str:
        return f"R{self.id:06d}"

    def overdue(self, now: datetime) -> bool:
        """Past the running window's deadline at NOW (as /metrics counts it)."""
        return self.due_at is not None and self.due_at < now


@dataclass(frozen=True, slots=True)
class Counts:
    """A member's open reports: how many each tier holds, and how many are overdue."""

    by_tier: dict[Tier, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_tier.values())


# The order "most urgent first" means, for the pins kept when there are too many: overdue before
# on time, a higher tier (a breach already escalated) before a lower one, the nearest deadline
# first, then the oldest report. storage/overview.py sorts in SQL by the same keys.
TIER_RANK = {tier: rank for rank, tier in enumerate(Tier)}


def urgency(report: OpenReport, now: datetime) -> tuple[bool, int, bool, datetime | None, int]:
    """The sort key of REPORT, most urgent smallest (what storage's ORDER BY computes)."""
    return (
        not report.overdue(now),
        -TIER_RANK[report.tier],
        report.due_at is None,
        report.due_at,
        report.id,
    )
