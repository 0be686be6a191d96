"""Report deadlines (限时办结): the rules from the settings and the clock a moved report runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import calendar_sources
from bot.domain import checks, deadlines
from bot.domain.calendar import Period, WorkCalendar
from bot.domain.checks import review_start
from bot.domain.deadlines import Policy, Rules, Span, Windows
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, ReportEvent, Status
from bot.domain.routing import Route, refer_target, route
from bot.domain.units import Tier, UnitTree
from bot.services import Services
from bot.settings import Settings, TierWindowConfig, quiet_hours


def _windows(config: TierWindowConfig) -> Windows:
    return Windows(Span.parse(config.accept), Span.parse(config.resolve))


def deadline_rules(settings: Settings) -> Rules:
    """Returns the office's deadline rules and working calendar from [deadlines] and [calendar]."""
    d, c = settings.deadlines, settings.calendar
    quiet_start, quiet_end = quiet_hours(d.quiet_hours)
    policy = Policy(
        windows={tier: _windows(getattr(d, tier.value)) for tier in Tier},
        by_category={
            code: {Tier(tier): _windows(config) for tier, config in tiers.items()}
            for code, tiers in d.categories.items()
        },
        reminder_at=d.reminder_at,
        escalate_after=d.escalate_after,
        nag_every=Span.parse(d.nag_every),
        daily_nags=d.daily_nags,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        verify_within=timedelta(hours=d.verify_hours),
        check_within=Span.parse(d.check_within),
        review_within=Span.parse(d.review_within),
    )
    calendar = WorkCalendar(
        ZoneInfo(settings.timezone),
        [Period.parse(text) for text in c.working_hours],
        holidays=c.holidays,
        workdays=c.workdays,
        library=calendar_sources.is_workday,
        provisional=calendar_sources.is_provisional,
    )
    return Rules(policy, calendar)


@dataclass(frozen=True, slots=True)
class Situation:
    """What deciding about deadlines needs, read once per pass (or per move)."""

    rules: Rules
    tree: UnitTree
    staff: list[Staff]
    urgent: frozenset[str]
    # Escalation targets by (holder unit, category), worked out once per pass, not per report.
    routes: dict[tuple[str, str], Route | None] = field(default_factory=dict)
    # The staff by unit (in STAFF's order), so a route looks only at its unit's chain upwards.
    by_unit: dict[str, list[Staff]] = field(default_factory=dict)
    # Each category's routing hint (a report dispatched after 核实 is routed as a new one).
    route_levels: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for person in self.staff:
            self.by_unit.setdefault(person.unit, []).append(person)

    @classmethod
    async def load(cls, services: Services, *, along: str | None = None) -> Situation:
        """Reads what deciding needs; with ALONG, only the staff on that unit's chain upwards."""
        categories = await services.units.categories()
        tree = await services.units.tree()
        if along is not None and along in tree:
            staff = await services.people.along(tree, along)
        else:
            staff = await services.people.all_staff()
        return cls(
            deadline_rules(services.settings),
            tree,
            staff,
            frozenset(c.code for c in categories if c.urgent),
            route_levels={c.code: c.route_level for c in categories},
        )

    def is_urgent(self, report: Report) -> bool:
        return report.category in self.urgent

    def escalation(self, report: Report) -> Route | None:
        """Returns where a breach sends REPORT: the next staffed tier up, or None at the top."""
        key = (report.holder_unit, report.category)
        if key not in self.routes:
            if report.holder_unit in self.tree:
                # refer_target looks only at the units above the holder: their staff suffice.
                chain = self.tree.chain(report.holder_unit)
                staff = [s for unit in chain for s in self.by_unit.get(unit.code, [])]
                route = refer_target(report.holder_unit, self.tree, staff, report.category)
            else:
                route = None
            self.routes[key] = route
        return self.routes[key]

    def dispatch(self, report: Report) -> Route:
        """Returns where a report waiting for 核实 goes when it is dispatched: routing's answer."""
        people = (
            [s for unit in self.tree.chain(report.unit) for s in self.by_unit.get(unit.code, [])]
            if report.unit in self.tree
            else self.staff
        )
        level = self.route_levels.get(report.category)
        return route(report.unit, report.category, self.tree, people, start_level=level)

    def review_above(self, report: Report) -> str | None:
        """Returns the unit a late 复查 goes to next (None at the top)."""
        if report.holder_unit not in self.tree:
            return None
        staff = [
            s
            for unit in self.tree.chain(review_start(report))
            for s in self.by_unit.get(unit.code, [])
        ]
        admins = [s for s in self.staff if s.role is Role.ADMIN]
        return checks.review_above(report, self.tree, staff + [a for a in admins if a not in staff])

    def can_escalate(self, report: Report) -> bool:
        """Tells whether REPORT's clock has a step past its breach: the next tier, or for 核实
        dispatching it unverified, or for 复查 the reviewers one level up."""
        if report.status is Status.CHECKING:
            return True
        if report.status is Status.REVIEWING:
            return self.review_above(report) is not None
        return self.escalation(report) is not None

    def after_move(self, report: Report, event: ReportEvent) -> Report:
        return deadlines.after_move(
            report,
            event,
            self.rules,
            urgent=self.is_urgent(report),
            can_escalate=self.can_escalate(report),
        )


async def with_deadline(services: Services, report: Report, event: ReportEvent) -> Report:
    """Returns REPORT (just moved by EVENT) with the clock its new status runs."""
    situation = await Situation.load(services, along=report.holder_unit)
    return situation.after_move(report, event)
