"""Staff lifecycle rules: who may manage whom (/staff, /invite), and where a leaver's work goes.

Named pure functions, so the authorisation rules can later move into one rule module.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.care import is_care_staff
from bot.domain.people import Role, Staff
from bot.domain.reports import Report
from bot.domain.routing import Route, route
from bot.domain.units import UnitTree

# How far up the ladder a role stands: a manager may only hand out roles below their own.
RANK = {
    Role.PARTNER: 0,
    Role.GRID_WORKER: 0,
    Role.PART_TIME: 0,
    Role.BUILDING_HEAD: 0,
    Role.ENTRANCE_HEAD: 0,
    Role.GRID_HEAD: 1,
    Role.COMMUNITY: 2,
    Role.STREET: 3,
    Role.DISTRICT: 4,
    Role.ADMIN: 5,
}

# Roles that manage staff in chat: admins everywhere, street and district staff below them.
MANAGERS = (Role.ADMIN, Role.STREET, Role.DISTRICT)


def may_manage_staff(actor: Staff | None) -> bool:
    """Tells whether ACTOR may use /staff and /invite at all."""
    return actor is not None and actor.role in MANAGERS


def scope_of(actor: Staff) -> str | None:
    """Returns the unit whose subtree ACTOR manages (None: the whole tree, for admins)."""
    return None if actor.role is Role.ADMIN else actor.unit


def in_scope(actor: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether UNIT is one ACTOR manages: anywhere for admins, strictly below otherwise.

    A street officer manages the communities and grids of their street, not their own peers.
    """
    if not may_manage_staff(actor) or unit not in tree:
        return False
    assert actor is not None
    top = scope_of(actor)
    return top is None or (unit != top and tree.is_within(unit, top))


def roles_for(actor: Staff | None) -> list[Role]:
    """Returns the roles ACTOR may give: any for admins, those below their own rank otherwise."""
    if not may_manage_staff(actor):
        return []
    assert actor is not None
    if actor.role is Role.ADMIN:
        return list(Role)
    return [role for role in Role if RANK[role] < RANK[actor.role]]


def may_change(actor: Staff | None, target: Staff | None, tree: UnitTree) -> bool:
    """Tells whether ACTOR may deactivate, move or re-role TARGET (never themselves)."""
    if actor is None or target is None or actor.user_id == target.user_id:
        return False
    return in_scope(actor, target.unit, tree) and target.role in roles_for(actor)


def may_place(actor: Staff | None, role: Role, unit: str, tree: UnitTree) -> bool:
    """Tells whether ACTOR may put someone with ROLE at UNIT (an invite, a move, a new role)."""
    return in_scope(actor, unit, tree) and role in roles_for(actor) and fits_level(role, unit, tree)


# Roles that sit on one level of the tree only: a 楼栋长 on a building, a 单元长 on an entrance.
ROLE_LEVELS = {Role.BUILDING_HEAD: "building", Role.ENTRANCE_HEAD: "entrance"}


def fits_level(role: Role, unit: str, tree: UnitTree) -> bool:
    """Tells whether ROLE may sit at UNIT: building and entrance heads on their own level only."""
    level = ROLE_LEVELS.get(role)
    return level is None or (unit in tree and tree.get(unit).level == level)


def example_unit(actor: Staff | None, role: Role, tree: UnitTree) -> str | None:
    """Returns a real unit code to show in ACTOR's /invite example: the first grid where they may
    place ROLE, else the first unit at all; None if there is none."""
    allowed = [unit for unit in tree if may_place(actor, role, unit.code, tree)]
    grids = [unit for unit in allowed if unit.level == ROLE_LEVELS.get(role, "grid")]
    first = next(iter(grids or allowed), None)
    return first.code if first is not None else None


def still_holds(staff: Staff | None, report: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF (None: they left) still covers REPORT assigned to them: it is held at
    their unit or below it. A move elsewhere hands the report over like a departure."""
    if staff is None or staff.role.is_building_team:  # 楼栋长 / 单元长 hold no report
        return False
    if staff.role is Role.ADMIN or report.holder_unit == staff.unit:
        return True
    return (
        report.holder_unit in tree
        and staff.unit in tree
        and tree.is_within(report.holder_unit, staff.unit)
    )


def still_visits(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF (None: they left) may still visit a household at UNIT: care staff
    at the unit or above it, as the registration offers them."""
    if not is_care_staff(staff) or unit not in tree:
        return False
    assert staff is not None
    return staff.unit in {u.code for u in tree.chain(unit)}


def reroute(report: Report, tree: UnitTree, staff: Iterable[Staff], *, left: int) -> Route:
    """Returns where REPORT goes when its holder LEFT: the normal routing from the unit that
    holds it upwards (so an escalated report stays at its tier or above), never to LEFT."""
    others = [s for s in staff if s.user_id != left]
    if report.holder_unit not in tree:
        return route(report.unit, report.category, tree, others)
    return route(report.holder_unit, report.category, tree, others)


def next_visitor(unit: str, tree: UnitTree, staff: Iterable[Staff], *, left: int) -> Staff | None:
    """Returns who takes over a household's visits from LEFT: the first care staff member from
    the household's unit upwards (the order the registration offers them in), else None."""
    people = sorted(
        (s for s in staff if s.user_id != left and is_care_staff(s) and s.role is not Role.ADMIN),
        key=lambda s: s.user_id,
    )
    for candidate in tree.chain(unit) if unit in tree else []:
        for person in people:
            if person.unit == candidate.code:
                return person
    return None
