"""双报告 use cases: the monthly report of one work unit's party members to its contact (once
per (work unit, month), in one commit), and the staff preview of it, page by page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.domain import access
from bot.domain.dualreport import Service, WorkUnit, ordered
from bot.domain.people import Role
from bot.domain.points import month_bounds
from bot.domain.volunteers import subtree
from bot.notices.dualreport import report_messages, work_units
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse

log = logging.getLogger(__name__)

PAGE = 10  # members per preview page


async def send_report(
    services: Services, unit: WorkUnit, month: str, *, at: datetime
) -> Done[int] | Refused:
    """Sends UNIT's contacts the verified service of its members in MONTH ('YYYY-MM'), exactly
    once per (work unit, month), whatever the restarts or instances: the row that says so and
    the messages share one commit. A month in which no member did anything is one line; a work
    unit without members gets nothing (the month is decided all the same). Done(members).

    Refused("common.stale_button"): this month's report went out already.
    """
    start, end = month_bounds(month, services.tz)
    found = await services.store.dualreports.service(unit.code, unit.name, start, end)
    contacts = [c for c in unit.contacts() if c > 0]
    langs = await services.people.languages(contacts)
    # Nobody registered with the work unit: nothing to report, but the month is decided.
    messages = report_messages(services, unit, month, found, langs) if found else []
    async with services.store.transaction(completes_update=False) as tx:
        sent = await tx.dualreports.send(unit.code, month, len(found), at, messages)
    if not sent:
        return Refused("common.stale_button")
    log.info("dual report %s %s: %d members", unit.code, month, len(found))  # codes, no names
    return Done(len(found))


@dataclass(frozen=True, slots=True)
class Preview:
    """One page of the preview: members of the staff member's area, by work unit."""

    month: str
    unit: str  # the area: the staff member's unit (admins: the tree's top)
    rows: list[tuple[WorkUnit, Service]]
    page: int
    pages: int


async def preview(
    services: Services, month: str, *, by: int, at: datetime, page: int = 0
) -> Done[Preview] | Refused:
    """Returns page PAGE of MONTH's 双报告 as it stands, for the party members living in BY's
    area (admins: everyone), under each configured work unit.

    Refused: "dualreport.staff_only" (access.preview_dual_report: recorded),
    "dualreport.no_work_units".
    """
    staff = await services.people.staff(by)
    if (rule := access.preview_dual_report(staff)) is not None:
        return await refuse(
            services, by, rule, None, "/dualreport", at=at, key="dualreport.staff_only"
        )
    assert staff is not None
    configured = work_units(services.settings)
    if not configured:
        return Refused("dualreport.no_work_units")
    tree = await services.units.tree()
    admin = staff.role is Role.ADMIN
    area = None if admin else (subtree(staff.unit, tree) if staff.unit in tree else [])
    top = staff.unit if not admin else next((u.code for u in tree if u.parent is None), "")
    start, end = month_bounds(month, services.tz)
    rows: list[tuple[WorkUnit, Service]] = []
    for unit in configured:
        found = await services.store.dualreports.service(unit.code, unit.name, start, end, area)
        rows.extend((unit, s) for s in ordered(found))
    pages = max(1, -(-len(rows) // PAGE))
    page = min(max(page, 0), pages - 1)
    return Done(Preview(month, top, rows[page * PAGE : (page + 1) * PAGE], page, pages))
