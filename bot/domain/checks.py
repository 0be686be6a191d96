"""核实 and 复查: on-site checks a category can require before dispatch and after resolve.

- **核实 (check).** A new report of a category marked `verify` waits in CHECKING, held at the
  grid of its place, until a verifier there (a role in VERIFIER_ROLES at the report's building,
  unit or grid) confirms it (CHECK_CONFIRM: routed and dispatched as any new report) or finds it
  is not a problem (CHECK_DISMISS: closed as rejected, with the verifier's note). Its clock passing
  dispatches it unverified (CHECK_LAPSE): a resident's problem never waits on a missing check,
  and the handler can still reject it.
- **复查 (review).** A report of a category marked `review` is resolved into REVIEWING, not
  RESOLVED. A reviewer (a role in REVIEWER_ROLES at or above the holder, never the resolver nor
  the holder) passes it (REVIEW_PASS: the reporter is asked to verify as usual) or fails it
  (REVIEW_FAIL: back to the holder with the note, on a new resolve clock). Its clock passing sends
  the review to the reviewers one level up (REVIEW_ESCALATE); at the top the nags go on.

Pure: time is passed in, nothing here reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.domain.people import Role, Staff
from bot.domain.reports import (
    Action,
    RejectReason,
    Report,
    ReportEvent,
    Status,
    move,
)
from bot.domain.routing import Route
from bot.domain.units import Tier, UnitTree

# Who may 核实 a report of their place: the grid worker, and the building's and entrance's heads
# (楼栋长, 单元长: bot/domain/teams.py), who are on site.
VERIFIER_ROLES: frozenset[Role] = frozenset(
    {Role.GRID_WORKER, Role.BUILDING_HEAD, Role.ENTRANCE_HEAD}
)

# Who may 复查 a resolved report held at or below their unit (never its resolver or holder).
REVIEWER_ROLES: frozenset[Role] = frozenset(
    {Role.GRID_HEAD, Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN}
)


class CheckError(Exception):
    """The check or review cannot be made by this person now (KEY names the catalog text)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


# 核实 ------------------------------------------------------------------------------------------


def check_place(unit: str, tree: UnitTree) -> str:
    """Returns the unit whose verifiers check a report placed at UNIT: its grid, else UNIT."""
    if unit not in tree:
        return unit
    grid = tree.unit_at_tier(unit, Tier.GRID)
    return grid.code if grid is not None else unit


def check_units(report: Report, tree: UnitTree) -> list[str]:
    """Returns the units whose verifiers may check REPORT: its place up to its check place."""
    if report.unit not in tree:
        return [report.holder_unit]
    units = []
    for unit in tree.chain(report.unit):
        units.append(unit.code)
        if unit.code == report.holder_unit:
            return units
    return [report.holder_unit]


def verifiers(report: Report, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who may check REPORT: staff of VERIFIER_ROLES at its place, nearest first."""
    units = check_units(report, tree)
    found = [s for s in staff if s.role in VERIFIER_ROLES and s.unit in units]
    return sorted(found, key=lambda s: (units.index(s.unit), s.user_id))


def may_check(staff: Staff | None, report: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF may confirm or dismiss REPORT's 核实."""
    if staff is None or report.status is not Status.CHECKING:
        return False
    return staff.role in VERIFIER_ROLES and staff.unit in check_units(report, tree)


def held_for_check(report: Report, tree: UnitTree) -> Report:
    """Returns the new REPORT waiting for its 核实, held unassigned at its check place."""
    place = check_place(report.unit, tree)
    tier = tree.tier_of(place) if place in tree else report.tier
    return replace(report, status=Status.CHECKING, holder_unit=place, tier=tier, assignee_id=None)


def _dispatch(
    report: Report, action: Action, by: int | None, at: datetime, to: Route, note: str | None
) -> tuple[Report, ReportEvent]:
    assignee = to.assignee.user_id if to.assignee else None
    return move(
        report,
        action,
        actor_id=by,
        at=at,
        note=note,
        data={"holder": to.unit, "assignee": assignee, "tier": to.tier.value},
        holder_unit=to.unit,
        tier=to.tier,
        assignee_id=assignee,
    )


def confirm_check(
    report: Report, by: Staff, at: datetime, to: Route, tree: UnitTree
) -> tuple[Report, ReportEvent]:
    """Returns REPORT confirmed on site by BY and dispatched to TO (routing's answer)."""
    if not may_check(by, report, tree):
        raise CheckError("verify.not_verifier")
    return _dispatch(report, Action.CHECK_CONFIRM, by.user_id, at, to, None)


def dismiss_check(
    report: Report, by: Staff, at: datetime, note: str, tree: UnitTree
) -> tuple[Report, ReportEvent]:
    """Returns REPORT closed as not a problem (rejected as invalid) by BY, with NOTE."""
    if not may_check(by, report, tree):
        raise CheckError("verify.not_verifier")
    return move(
        report,
        Action.CHECK_DISMISS,
        actor_id=by.user_id,
        at=at,
        note=note,
        data={"reason": RejectReason.INVALID.value},
        reject_reason=RejectReason.INVALID.value,
    )


def lapse_check(report: Report, at: datetime, to: Route) -> tuple[Report, ReportEvent]:
    """Returns REPORT dispatched unverified to TO: nobody checked it in time."""
    return _dispatch(report, Action.CHECK_LAPSE, None, at, to, None)


# 复查 ------------------------------------------------------------------------------------------


def resolver_of(report: Report) -> int | None:
    """Returns who resolved REPORT into its review (who may not review it)."""
    value = report.extra.get("resolver")
    return int(value) if value is not None else None


def review_start(report: Report) -> str:
    """Returns the unit from which REPORT's reviewers are looked for (the holder at first)."""
    return str(report.extra.get("review_at") or report.holder_unit)


def _may_review_as(staff: Staff, report: Report) -> bool:
    return (
        staff.role in REVIEWER_ROLES
        and staff.user_id != resolver_of(report)
        and staff.user_id != report.assignee_id
    )


def reviewers(
    report: Report, tree: UnitTree, staff: Iterable[Staff], *, start: str | None = None
) -> list[Staff]:
    """Returns who reviews REPORT: the reviewers of the nearest unit from START (its review
    start) upwards that has any; admins if none. Never its resolver or holder."""
    people = [s for s in staff if _may_review_as(s, report)]
    first = start or review_start(report)
    if first in tree:
        for unit in tree.chain(first):
            here = [s for s in people if s.unit == unit.code and s.role is not Role.ADMIN]
            if here:
                return sorted(here, key=lambda s: s.user_id)
    return sorted((s for s in people if s.role is Role.ADMIN), key=lambda s: s.user_id)


def review_above(report: Report, tree: UnitTree, staff: Iterable[Staff]) -> str | None:
    """Returns the unit whose reviewers a late 复查 goes to next, or None at the top."""
    people = list(staff)
    now = reviewers(report, tree, people)
    start = review_start(report)
    if not now or start not in tree or now[0].role is Role.ADMIN:
        return None
    here = now[0].unit
    parent = tree.get(here).parent
    if parent is None:
        return None
    up = reviewers(report, tree, people, start=parent)
    if not up or up[0].role is Role.ADMIN:
        return None
    return up[0].unit


def may_review(staff: Staff | None, report: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF may pass or fail REPORT's 复查: a reviewer role at or above the unit
    its review is at (an admin anywhere), never its resolver nor its holder."""
    if staff is None or report.status is not Status.REVIEWING:
        return False
    if not _may_review_as(staff, report):
        return False
    if staff.role is Role.ADMIN:
        return True
    start = review_start(report)
    return start in tree and staff.unit in tree and tree.is_within(start, staff.unit)


def pass_review(
    report: Report, by: Staff, at: datetime, tree: UnitTree
) -> tuple[Report, ReportEvent]:
    """Returns REPORT passed on review by BY: resolved, waiting for the reporter to verify."""
    if not may_review(by, report, tree):
        raise CheckError("verify.not_reviewer")
    return move(report, Action.REVIEW_PASS, actor_id=by.user_id, at=at)


def fail_review(
    report: Report, by: Staff, at: datetime, note: str, tree: UnitTree
) -> tuple[Report, ReportEvent]:
    """Returns REPORT sent back by BY to its holder with NOTE, in progress on a new clock."""
    if not may_review(by, report, tree):
        raise CheckError("verify.not_reviewer")
    extra = {k: v for k, v in report.extra.items() if k not in ("review_at",)}
    return move(report, Action.REVIEW_FAIL, actor_id=by.user_id, at=at, note=note, extra=extra)


def escalate_review(report: Report, at: datetime, to_unit: str) -> tuple[Report, ReportEvent]:
    """Returns REPORT whose 复查 is late, now with the reviewers of TO_UNIT (a new clock)."""
    extra = {**report.extra, "review_at": to_unit}
    return move(
        report,
        Action.REVIEW_ESCALATE,
        actor_id=None,
        at=at,
        data={"from_unit": review_start(report), "to_unit": to_unit},
        extra=extra,
    )
