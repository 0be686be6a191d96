"""Group chats bound to a unit: what a binding is for and who may make or remove it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree


class Purpose(StrEnum):
    """What a bound group receives: weekly summaries, or volunteer announcements (issue C)."""

    SUMMARY = "summary"
    VOLUNTEERS = "volunteers"


@dataclass(frozen=True, slots=True)
class Binding:
    """A group chat bound to UNIT for PURPOSE; one binding per (chat, purpose)."""

    chat_id: int
    unit: str
    purpose: Purpose
    bound_by: int
    bound_at: datetime
    lang: str = "zh"  # the binder's language, used for what the bot posts there


def may_bind(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may bind a group to UNIT (or unbind it): staff of UNIT or above.

    Partners (departments, property companies) are whistled in for categories and hold no unit
    of the grid, so they bind nothing.
    """
    if staff is None or unit not in tree or staff.unit not in tree:
        return False
    if staff.role is Role.ADMIN:
        return True
    if staff.role is Role.PARTNER or staff.role.is_helper:  # helpers: no unit's groups
        return False
    return tree.is_within(unit, staff.unit)
