"""What a staff member sees on the dashboard (handlers/web): the reports of their own area.

A member sees a report placed (`unit`) or held (`holder_unit`) within their area: their unit's
subtree (a grid worker's grid with its buildings; a supervisor's whole unit), everything for admins.
Partners (物业, departments) see only their categories in their unit's subtree. Anyone sees the
reports assigned to them. What they may DO to a report is still bot/domain/reports.py may_handle,
checked by the use case on every action.
"""

from __future__ import annotations

from bot.domain.people import Role, Staff
from bot.domain.reports import Report
from bot.domain.units import UnitTree


def area(staff: Staff, tree: UnitTree) -> frozenset[str] | None:
    """The unit codes whose reports STAFF sees (placed or held there); None: every unit."""
    if staff.role is Role.ADMIN:
        return None
    # A grid's reports are placed at its buildings: the grid alone would hide a case from its own
    # grid worker as soon as it left their hands (referred up, reassigned).
    return frozenset(u.code for u in tree if tree.is_within(u.code, staff.unit))


def categories(staff: Staff) -> frozenset[str] | None:
    """The categories STAFF sees; None: every category (everyone but partners)."""
    return frozenset(staff.categories) if staff.role is Role.PARTNER else None


def sees(staff: Staff, report: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF may see REPORT on the dashboard (its page, photos and history)."""
    if report.assignee_id == staff.user_id:
        return True
    units = area(staff, tree)
    kinds = categories(staff)
    if kinds is not None and report.category not in kinds:
        return False
    return units is None or report.unit in units or report.holder_unit in units
