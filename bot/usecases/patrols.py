"""Patrol use cases: logging a round, and a finding becoming a report routed the usual way,
linked once, in one commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import access
from bot.domain import patrols as domain
from bot.domain.access import Rule
from bot.domain.patrols import Finding, Patrol, PatrolError, PatrolKind
from bot.domain.people import Person
from bot.domain.reports import Report
from bot.notices.care import patrol_summary
from bot.services import Services
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing
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


async def log_patrol(
    services: Services,
    *,
    by: Person,
    unit: str,
    kind: PatrolKind,
    note: str,
    photos: Sequence[str],
    findings: Sequence[str],
    at: datetime,
) -> Done[Patrol] | Refused:
    """Re-authorises BY and stores the round with its summary (a report button per finding),
    ending BY's draft, in one commit. Refused("patrol.not_allowed") (recorded) or the
    PatrolError's key."""
    staff = await services.people.staff(by.user_id)
    tree = await services.units.tree()
    sent_to = [a.unit for a in await services.store.cadres.active_of(by.user_id)]  # 下沉干部
    if (rule := access.log_patrol(staff, unit, tree, sent_to)) is not None or staff is None:
        return await refuse(
            services,
            by.user_id,
            rule or Rule.PATROL_LOG,
            f"unit:{unit}",
            "patrol:save",
            at=at,
            key="patrol.not_allowed",
        )
    try:
        patrol = domain.log(
            worker=staff,
            kind=kind,
            unit=unit,
            at=at,
            note=note,
            photos=list(photos),
            findings=list(findings),
            tree=tree,
            sent_to=sent_to,
        )
    except PatrolError as error:
        return Refused(error.key)
    place_name = tree.place_name(patrol.unit)

    def summary(stored: Patrol) -> list[Outgoing]:
        return [patrol_summary(services.texts, by, stored, place_name)]

    stored = await services.store.patrols.create(patrol, summary, clear_draft_of=by.user_id)
    return Done(stored)
