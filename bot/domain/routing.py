"""Routing is data: (unit, category) → the staff member responsible, walking up the tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.people import Role, Staff
from bot.domain.units import Tier, UnitTree

# Roles that take reports held at a unit when nobody there handles the category specifically.
_FRONT_LINE = (
    Role.GRID_WORKER,
    Role.PART_TIME,
    Role.GRID_HEAD,
    Role.COMMUNITY,
    Role.STREET,
    Role.DISTRICT,
)


@dataclass(frozen=True, slots=True)
class Route:
    unit: str  # the unit that holds the report
    tier: Tier
    assignee: Staff | None  # None: visibly unassigned at `unit`, any staff there may take it


def route(
    unit: str,
    category: str,
    tree: UnitTree,
    staff: Iterable[Staff],
    *,
    start_level: str | None = None,
) -> Route:
    """Returns who takes a report of CATEGORY placed at UNIT.

    At each unit from UNIT upwards: the staff member who handles CATEGORY there, else the unit's
    grid worker, else (a grid without a full-time 网格员) its part-time grid worker (兼职网格员).
    Building and entrance heads are never routed to. If nobody is found all the way up, the
    report is held unassigned at the nearest unit that has any staff. START_LEVEL (a category's
    routing hint) skips units below that level.
    """
    by_unit: dict[str, list[Staff]] = {}
    for person in sorted(staff, key=lambda s: s.user_id):
        if person.role is not Role.ADMIN and not person.role.is_building_team:
            by_unit.setdefault(person.unit, []).append(person)
    chain = tree.chain(unit)
    if start_level is not None:
        levels = [u.level for u in chain]
        if start_level in levels:
            chain = chain[levels.index(start_level) :]
    for candidate in chain:
        people = by_unit.get(candidate.code, [])
        specialist = [p for p in people if p.handles(category)]
        if specialist:
            return Route(candidate.code, tree.tier_of(candidate.code), specialist[0])
        worker = [p for p in people if p.role is Role.GRID_WORKER]
        worker = worker or [p for p in people if p.role is Role.PART_TIME]
        if worker:
            return Route(candidate.code, tree.tier_of(candidate.code), worker[0])
    for candidate in chain:
        if any(p.role in _FRONT_LINE for p in by_unit.get(candidate.code, [])):
            return Route(candidate.code, tree.tier_of(candidate.code), None)
    top = chain[-1]
    return Route(top.code, tree.tier_of(top.code), None)


def refer_target(
    holder_unit: str, tree: UnitTree, staff: Iterable[Staff], category: str
) -> Route | None:
    """Returns where a report held at HOLDER_UNIT goes when referred up (上报), or None at the top.

    The next tier up whose unit has staff: its specialist for CATEGORY, else held unassigned
    there for its front-line staff. A tier whose unit has nobody (or only admins) is skipped.
    """
    people = [p for p in staff if p.role is not Role.ADMIN and not p.role.is_building_team]
    next_tier = tree.tier_of(holder_unit).above
    while next_tier is not None:
        target = tree.unit_at_tier(holder_unit, next_tier)
        if target is not None:
            here = [p for p in people if p.unit == target.code]
            specialist = [p for p in here if p.handles(category)]
            if specialist:
                return Route(target.code, next_tier, specialist[0])
            # Without a specialist the report is held at the unit, shown to all its staff, and
            # the first to accept takes it.
            if any(p.role in _FRONT_LINE for p in here):
                return Route(target.code, next_tier, None)
        next_tier = next_tier.above
    return None


def transfer_targets(
    holder_unit: str,
    tree: UnitTree,
    staff: Iterable[Staff],
    *,
    presser: int,
    assignee: int | None,
) -> list[Staff]:
    """Returns who a report held at HOLDER_UNIT may be transferred to (转派).

    Staff of the same unit first, then of its sibling units (same parent), in tree order;
    never the presser, the current assignee, an admin or a building or entrance head.
    """
    parent = tree.get(holder_unit).parent
    siblings = [u.code for u in tree.children(parent)] if parent is not None else []
    order = [holder_unit, *(code for code in siblings if code != holder_unit)]
    rank = {code: i for i, code in enumerate(order)}
    found = [
        p
        for p in staff
        if p.unit in rank
        and p.role is not Role.ADMIN
        and not p.role.is_building_team
        and p.user_id not in (presser, assignee)
    ]
    return sorted(found, key=lambda p: (rank[p.unit], p.user_id))
