"""Routing is data: (unit, category) → the staff member responsible, walking up the tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.people import Role, Staff
from bot.domain.units import Tier, UnitTree

# Roles that take reports held at a unit when nobody there handles the category specifically.
_FRONT_LINE = (Role.GRID_WORKER, Role.GRID_HEAD, Role.COMMUNITY, Role.STREET, Role.DISTRICT)


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
    grid worker. If nobody is found all the way up, the report is held unassigned at the nearest
    unit that has any staff. START_LEVEL (a category's routing hint) skips units below that level.
    """
    by_unit: dict[str, list[Staff]] = {}
    for person in sorted(staff, key=lambda s: s.user_id):
        if person.role is not Role.ADMIN:
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
    """Returns where a report held at HOLDER_UNIT goes when referred up (上报): the next tier."""
    current = tree.tier_of(holder_unit)
    next_tier = current.above
    while next_tier is not None:
        target = tree.unit_at_tier(holder_unit, next_tier)
        if target is not None:
            staff = list(staff)
            people = [p for p in staff if p.unit == target.code and p.role is not Role.ADMIN]
            specialist = [p for p in people if p.handles(category)]
            # Without a specialist the report is held at the unit, shown to all its staff, and
            # the first to accept takes it.
            return Route(target.code, next_tier, specialist[0] if specialist else None)
        next_tier = next_tier.above
    return None
