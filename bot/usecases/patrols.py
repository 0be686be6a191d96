"""Patrol use cases: a finding becomes a report routed the usual way, linked once, in one commit."""

from __future__ import annotations

from bot.domain.patrols import Finding, Patrol
from bot.domain.people import Person
from bot.domain.reports import Report
from bot.services import Services
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused
from storage.patrols import FindingTaken


async def report_finding(
    services: Services, patrol: Patrol, finding: Finding, *, by: Person, category: str
) -> Done[Report] | Refused:
    """Opens a report from FINDING of PATROL (already authorised by the caller) and links the
    finding to it in ONE commit. Refused("patrol.finding_taken") if someone reported the
    finding meanwhile; then no report is stored."""
    assert finding.id is not None
    try:
        async with services.store.transaction() as tx:
            report = await submit(
                services,
                reporter_id=None,
                entered_by=by.user_id,
                category=category,
                unit=patrol.unit,
                description=finding.text,
                photos=patrol.photos,
            )
            assert report.id is not None
            await tx.patrols.link_report(finding.id, report.id)
    except FindingTaken:
        return Refused("patrol.finding_taken")
    return Done(report)
