"""Volunteers and in-service party members (志愿者, 在职党员双报到): who they are and who is near.

A volunteer registers skills, a team, availability and a home unit; staff of their community
(or above) approve or decline. Matching ranks approved volunteers by how near their home unit
is in the grid tree — same unit first, then siblings, then further up — never by raw distance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.people import Role, Staff
from bot.domain.units import Tier, UnitTree

MAX_NAME = 32
MAX_NOTE = 200
MAX_WORK_UNIT = 60
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,22}$")


class InvalidInput(ValueError):
    """The user's input cannot be used; KEY is the catalog key of the polite explanation."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class NotAllowed(Exception):
    """The actor may not do this (re-authorisation against the database said no)."""


class InvalidMove(Exception):
    """The thing is no longer in a state that allows this (a stale or repeated press)."""


class VolunteerStatus(StrEnum):
    PENDING = "pending"  # waiting for community staff
    APPROVED = "approved"
    DECLINED = "declined"


class Availability(StrEnum):
    WEEKDAY = "weekday"  # weekday daytime
    EVENING = "evening"
    WEEKEND = "weekend"


@dataclass(frozen=True, slots=True)
class Volunteer:
    user_id: int
    name: str
    unit: str  # home unit (居住地)
    skills: tuple[str, ...] = ()
    skills_note: str = ""  # free text beyond the configured list
    team: str | None = None
    availability: tuple[str, ...] = ()
    phone: str | None = None  # shown only to staff and to a resident whose wish they claimed
    party_member: bool = False  # 在职党员
    work_unit: str | None = None  # the party member's employer (报到 from there)
    status: VolunteerStatus = VolunteerStatus.PENDING
    decided_by: int | None = None
    decided_at: datetime | None = None
    created_at: datetime | None = None
    work_unit_code: str | None = None  # the [[work_units]] picked: it gets the 双报告 (NULL: none)

    @property
    def is_approved(self) -> bool:
        return self.status is VolunteerStatus.APPROVED

    def has_any(self, skills: Iterable[str]) -> bool:
        """Tells whether the volunteer has one of SKILLS (no skills asked for: anyone fits)."""
        wanted = set(skills)
        return not wanted or bool(wanted & set(self.skills))


def clean_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("volunteer.bad_name")
    return name


def clean_phone(text: str | None) -> str:
    phone = (text or "").strip()
    if not _PHONE.match(phone):
        raise InvalidInput("volunteer.bad_phone")
    return phone.replace(" ", "").replace("-", "")


def clean_text(text: str | None, limit: int, key: str) -> str:
    value = " ".join((text or "").split())
    if not value or len(value) > limit:
        raise InvalidInput(key)
    return value


def community_of(unit: str, tree: UnitTree) -> str:
    """Returns the community (社区) at or above UNIT, or UNIT itself if it lies above one."""
    found = tree.unit_at_tier(unit, Tier.COMMUNITY)
    return found.code if found is not None else unit


_DECIDERS = (Role.COMMUNITY, Role.STREET, Role.DISTRICT)


def may_decide(staff: Staff, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may approve a volunteer living at UNIT: their community or above."""
    if staff.role is Role.ADMIN:
        return True
    return (
        staff.role in _DECIDERS
        and unit in tree
        and staff.unit in tree
        and tree.is_within(community_of(unit, tree), staff.unit)
    )


def may_manage(staff: Staff, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF looks after UNIT (their own unit or below; partners never)."""
    if staff.role is Role.ADMIN:
        return True
    if staff.role is Role.PARTNER or staff.role.is_helper:
        return False
    return unit in tree and staff.unit in tree and tree.is_within(unit, staff.unit)


def nearest_staff(
    unit: str, tree: UnitTree, staff: Iterable[Staff], *, deciders_only: bool = False
) -> list[Staff]:
    """Returns the staff of the nearest unit at or above UNIT who may act on it."""
    staff = list(staff)
    for candidate in tree.chain(unit):
        here = [
            s
            for s in staff
            if s.unit == candidate.code
            and s.role not in (Role.ADMIN, Role.PARTNER)
            and not s.role.is_helper
            and (not deciders_only or may_decide(s, unit, tree))
        ]
        if here:
            return sorted(here, key=lambda s: s.user_id)
    return []


def decide(
    volunteer: Volunteer, staff: Staff, approve: bool, at: datetime, tree: UnitTree
) -> Volunteer:
    """Returns the volunteer approved or declined by STAFF."""
    if not may_decide(staff, volunteer.unit, tree):
        raise NotAllowed
    if volunteer.status is not VolunteerStatus.PENDING:
        raise InvalidMove
    status = VolunteerStatus.APPROVED if approve else VolunteerStatus.DECLINED
    return replace(volunteer, status=status, decided_by=staff.user_id, decided_at=at)


def nearness(target: str, home: str, tree: UnitTree) -> tuple[int, int] | None:
    """Returns (steps up from TARGET, steps down to HOME) through their lowest common unit."""
    if target not in tree or home not in tree:
        return None
    target_chain = [u.code for u in tree.chain(target)]
    home_chain = [u.code for u in tree.chain(home)]
    home_index = {code: i for i, code in enumerate(home_chain)}
    for up, code in enumerate(target_chain):
        if code in home_index:
            return up, home_index[code]
    return None


def is_eligible(
    volunteer: Volunteer, unit: str, tree: UnitTree, *, skills: Iterable[str], levels_up: int
) -> bool:
    """Tells whether VOLUNTEER may be matched to help at UNIT: approved, with one of SKILLS,
    living at most LEVELS_UP steps above UNIT in the tree (the rule matching and claiming share)."""
    if not volunteer.is_approved or not volunteer.has_any(skills):
        return False
    near = nearness(unit, volunteer.unit, tree)
    return near is not None and near[0] <= levels_up


def rank_nearby(
    volunteers: Iterable[Volunteer],
    unit: str,
    tree: UnitTree,
    *,
    skills: Iterable[str] = (),
    levels_up: int,
    limit: int,
    exclude: Iterable[int] = (),
) -> list[Volunteer]:
    """Returns approved volunteers with one of SKILLS near UNIT, nearest first, at most LIMIT.

    Same unit (or below it) first, then siblings, then cousins and further up the tree, but
    never more than LEVELS_UP steps above UNIT.
    """
    skills = tuple(skills)
    skipped = set(exclude)
    ranked: list[tuple[tuple[int, int, int], Volunteer]] = []
    for volunteer in volunteers:
        if volunteer.user_id in skipped:
            continue
        if not is_eligible(volunteer, unit, tree, skills=skills, levels_up=levels_up):
            continue
        near = nearness(unit, volunteer.unit, tree)
        assert near is not None
        ranked.append(((near[0], near[1], volunteer.user_id), volunteer))
    ranked.sort(key=lambda pair: pair[0])
    return [volunteer for _, volunteer in ranked[:limit]]


def reach_units(unit: str, tree: UnitTree, levels_up: int) -> list[str]:
    """Returns every unit below the ancestor LEVELS_UP above UNIT (where matches may live)."""
    chain = tree.chain(unit)
    top = chain[min(levels_up, len(chain) - 1)].code
    out: list[str] = []
    stack = [top]
    while stack:
        code = stack.pop()
        out.append(code)
        stack.extend(child.code for child in tree.children(code))
    return out


def subtree(unit: str, tree: UnitTree) -> list[str]:
    """Returns UNIT and every unit below it."""
    return reach_units(unit, tree, 0)


def mask_name(name: str) -> str:
    """Returns a name fit for a group chat: the first character and stars (张三丰 → 张**)."""
    name = name.strip()
    if not name:
        return "*"
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def is_mobile(volunteer: Volunteer | None, mobile_team: str | None) -> bool:
    """Tells whether VOLUNTEER is an approved 流动网格员: a member of the office's mobile team."""
    return (
        volunteer is not None
        and mobile_team is not None
        and volunteer.is_approved
        and volunteer.team == mobile_team
    )
