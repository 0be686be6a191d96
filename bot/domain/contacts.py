"""公示: who serves a resident's grid, as the office publishes it (/grid).

A staff member shows only when the office marked them public (the config file's `public = true`,
or /contact in chat for invited and imported staff), only while active, and only with what the
office chose to publish: a display name, a title, office hours and a public phone — never the
phone they gave privately, never their Telegram id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.people import Role, Staff
from bot.domain.staffing import RANK
from bot.domain.units import UnitTree

FIELDS = ("public_name", "title", "office_hours", "public_phone")
LIMITS = {"public_name": 32, "title": 40, "office_hours": 80, "public_phone": 24}
PUBLIC_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,22}[0-9]$")  # as bot/settings.py
# The order /grid lists people in: the grid's own first, then the community's.
_ORDER = {
    Role.GRID_WORKER: 0,
    Role.GRID_HEAD: 1,
    Role.COMMUNITY: 2,
    Role.PARTNER: 3,
    Role.STREET: 4,
    Role.DISTRICT: 5,
}


@dataclass(frozen=True, slots=True)
class Contact:
    """What the office publishes about USER_ID (a row of staff_contacts)."""

    user_id: int
    public: bool = False
    public_name: str | None = None
    title: str | None = None
    office_hours: str | None = None
    public_phone: str | None = None
    source: str = "chat"  # 'config': set by the file at every start, not editable in chat


@dataclass(frozen=True, slots=True)
class Listing:
    """One line of /grid: the person's shown name and role, and what is published."""

    name: str
    role: Role
    unit: str
    title: str | None
    office_hours: str | None
    public_phone: str | None


def may_publish(actor: Staff | None, target: Staff | None, tree: UnitTree) -> bool:
    """Tells whether ACTOR may set what is published about TARGET: admins for anyone; otherwise
    a supervisor — a higher role (not a partner) at TARGET's unit or above it, never oneself."""
    if actor is None or target is None:
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.user_id == target.user_id or actor.role is Role.PARTNER:
        return False
    if target.unit not in tree or actor.unit not in tree:
        return False
    return tree.is_within(target.unit, actor.unit) and RANK[actor.role] > RANK[target.role]


def check(field: str, text: str) -> str | None:
    """Returns why TEXT cannot be published as FIELD (a catalog key), or None if it can."""
    if field not in FIELDS:
        return "contacts.stale"
    if not text or len(text) > LIMITS[field] or "\n" in text:
        return "contacts.bad_text"
    if field == "public_phone" and not PUBLIC_PHONE.match(text):
        return "contacts.bad_phone"
    return None


def serving_units(tree: UnitTree, unit: str) -> tuple[str | None, str | None]:
    """Returns (the grid, the community) at or above UNIT, either None where there is none."""
    if unit not in tree:
        return None, None
    grid = community = None
    for node in tree.chain(unit):
        if node.level == "grid" and grid is None:
            grid = node.code
        if node.level == "community" and community is None:
            community = node.code
    return grid, community


def listing(
    staff: list[Staff], contacts: dict[int, Contact], tree: UnitTree, unit: str
) -> list[Listing]:
    """Returns who serves UNIT as published: public staff of its grid (grid workers and grid
    heads) and of its community, the grid's first. STAFF must hold active staff only."""
    grid, community = serving_units(tree, unit)
    shown = []
    for person in staff:
        contact = contacts.get(person.user_id)
        if contact is None or not contact.public or person.role is Role.ADMIN:
            continue
        at_grid = person.unit == grid and person.role in (Role.GRID_WORKER, Role.GRID_HEAD)
        at_community = community is not None and person.unit == community
        if at_grid or at_community:
            shown.append((person, contact))
    shown.sort(key=lambda pc: (pc[0].unit != grid, _ORDER.get(pc[0].role, 9), pc[0].user_id))
    return [
        Listing(
            name=contact.public_name or person.name,
            role=person.role,
            unit=person.unit,
            title=contact.title,
            office_hours=contact.office_hours,
            public_phone=contact.public_phone,
        )
        for person, contact in shown
    ]
