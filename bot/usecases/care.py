"""Care use cases: the 五必访 policy from the settings, logging a visit (with the report or wish
it opens, in one commit) and confirming a volunteer's visit (with its points, in one commit)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, time

from bot.domain import access, wishes
from bot.domain import care as domain
from bot.domain.care import (
    CareError,
    CarePolicy,
    Household,
    Outcome,
    QuietHours,
    Visit,
    VisitorKind,
)
from bot.domain.people import Person
from bot.domain.points import PointKind
from bot.domain.wishes import Wish
from bot.notices import outgoing
from bot.notices.care import reminder_messages, visit_messages
from bot.notices.wishes import review_messages
from bot.services import Services
from bot.settings import quiet_hours
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused, refuse
from storage.care import StaleHousehold
from storage.outbox import Outgoing

log = logging.getLogger(__name__)

BATCH = 200  # households per sweep pass; the rest are picked up by the next pass


def care_policy(services: Services) -> CarePolicy:
    """Returns the [care] timings with the office's time zone."""
    c = services.settings.care
    return CarePolicy(
        tz=services.tz,
        lead_days=c.reminder_lead_days,
        notify_at=time.fromisoformat(c.notify_at),
        grace_days=c.grace_days,
        nag_every_days=c.nag_every_days,
        escalate_after_days=c.escalate_after_days,
        not_home_retry_days=c.not_home_retry_days,
        quiet=QuietHours(*quiet_hours(services.settings.deadlines.quiet_hours)),
    )


@dataclass(frozen=True, slots=True)
class NewReport:
    """The problem a visit found, reported the usual way (routed from the household's unit)."""

    category: str
    description: str


async def log_visit(
    services: Services,
    household: Household,
    *,
    by: Person,
    at: datetime,
    outcome: Outcome,
    wellbeing: int | None,
    note: str,
    report: NewReport | None = None,
    wish_text: str | None = None,
) -> Done[Visit] | Refused:
    """Stores BY's visit to HOUSEHOLD (already authorised by the caller, read before) with the
    report or wish it opens, the household's next due date and every notice, in ONE commit, and
    ends BY's draft. Refused(CareError key) for a bad note, Refused("care.stale") if the
    household changed meanwhile; then nothing is stored.
    """
    kind = household.visitor_kind if household.visitor_id == by.user_id else VisitorKind.STAFF
    visit = Visit(
        household_id=household.id or 0,
        visitor_id=by.user_id,
        visitor_kind=kind,
        at=at,
        outcome=outcome,
        due_on=household.due_on,
        wellbeing=wellbeing,
        note=note,
        needs=report is not None or wish_text is not None,
    )
    try:
        after = domain.log_visit(household, visit, care_policy(services))
    except CareError as error:
        return Refused(error.key, {"limit": domain.MAX_NOTE})
    messages = await visit_messages(services, by, household, after)
    try:
        async with services.store.transaction() as tx:
            # the visit first, so its notices come before the report's or the wish's
            _, stored = await tx.households.record_visit(
                household, after, visit, messages, clear_draft_of=by.user_id
            )
            visit_id = stored.id
            assert visit_id is not None
            if report is not None:
                opened = await submit(
                    services,
                    reporter_id=None,
                    entered_by=by.user_id,
                    category=report.category,
                    unit=household.unit,
                    description=report.description,
                    photos=(),
                )
                stored = replace(stored, report_id=opened.id)
            elif wish_text is not None:
                wish = await _post_wish(services, by, household, wish_text, at)
                stored = replace(stored, wish_id=wish.id)
            if stored.needs:
                await tx.households.link_visit(
                    visit_id, report_id=stored.report_id, wish_id=stored.wish_id
                )
    except StaleHousehold:
        return Refused("care.stale")
    return Done(stored)


async def _post_wish(
    services: Services, by: Person, household: Household, text: str, at: datetime
) -> Wish:
    """Posts the wish a visit found for staff review (never straight to a group: it comes from
    a 五必访 visit), inside the caller's unit of work."""
    posted, first = wishes.post(
        Wish(
            posted_by=by.user_id,
            unit=household.unit,
            category=wishes.OTHER,
            text=text,
            created_at=at,
            contact_name=household.label,  # reaches only the volunteer who claims it
        ),
        at,
    )

    async def review(stored: Wish) -> list[Outgoing]:
        note = services.texts("visit.wish_posted", by.lang, number=stored.number)
        return [*await review_messages(services, stored), outgoing.message(by.user_id, note)]

    return await services.store.wishes.create(posted, [first], review)


async def confirm_visit(
    services: Services, visit_id: int, *, by: Person, at: datetime
) -> Done[Visit] | Refused:
    """Staff covering the household confirm a volunteer's visit once; the confirmation, the
    visitor's points and both notices share ONE commit. Refused("common.not_allowed") (recorded
    when a rule refused) or Refused("visit.already_confirmed")."""
    visit = await services.store.households.visit(visit_id)
    household = await services.store.households.get(visit.household_id) if visit else None
    if visit is None or household is None:
        return Refused("common.not_allowed")
    staff = await services.people.staff(by.user_id)
    rule = access.manage_household(staff, household, await services.units.tree())
    if rule is not None:
        return await refuse(services, by.user_id, rule, f"visit:{visit.id}", "visit:confirm", at=at)
    if not domain.needs_confirmation(visit):
        return Refused("visit.already_confirmed")
    langs = await services.people.languages([visit.visitor_id])
    vlang = langs.get(visit.visitor_id, "zh")
    points = services.settings.volunteers.points.visit
    texts = services.texts
    messages = [
        outgoing.message(by.user_id, texts("visit.confirmed", by.lang, id=household.id)),
        outgoing.message(
            visit.visitor_id,
            texts("visit.confirmed_points", vlang, label=household.label, points=points),
        ),
    ]
    try:
        async with services.store.transaction() as tx:
            confirmed = await tx.households.confirm_visit(visit, by.user_id, at, messages)
            await tx.points.award(visit.visitor_id, PointKind.VISIT, visit.id, points, at)
    except StaleHousehold:
        return Refused("visit.already_confirmed")
    return Done(confirmed)


async def remind_visits(services: Services, now: datetime) -> int:
    """The 五必访 sweep's work: acts on every household whose next look has come (BATCH at a
    time), each in its own compare-and-set commit; returns how many were told something."""
    households = services.store.households
    due = await households.due(now, limit=BATCH)
    if not due:
        return 0
    policy = care_policy(services)
    tree = await services.units.tree()
    staff = await services.people.all_staff()
    acted = 0
    for household in due:
        decision = domain.decide(household, now, policy)
        messages = await reminder_messages(services, tree, staff, household, decision)
        if await households.advance(household, decision, now, messages) and messages:
            acted += 1
    if acted:
        log.info("care sweep: %d households acted on", acted)  # counts only, never who
    return acted
