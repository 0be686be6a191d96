"""Care use cases: the 五必访 policy from the settings, logging a visit (with the report or wish
it opens, in one commit), confirming a volunteer's visit (with its points, in one commit),
registering and changing a household (with who is told, in one commit each), and a unit's
monthly figures."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, time

from bot.domain import access, wishes
from bot.domain import care as domain
from bot.domain.care import (
    Cadence,
    CareError,
    CarePolicy,
    Household,
    Outcome,
    QuietHours,
    Visit,
    VisitorKind,
)
from bot.domain.patrols import PatrolKind
from bot.domain.people import Person, Role, Staff
from bot.domain.points import PointKind
from bot.domain.units import Tier, UnitTree
from bot.domain.volunteers import subtree
from bot.domain.wishes import Wish
from bot.notices import outgoing
from bot.notices.care import brief, day, kind_book, reminder_messages, visit_messages
from bot.notices.wishes import review_messages
from bot.services import Services
from bot.settings import quiet_hours
from bot.texts import Raw
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


# Households: who may visit, registering and changing one ---------------------------------------

MAX_CANDIDATES = 20


def scope(staff: Staff, tree: UnitTree) -> list[str]:
    """Returns the units whose households STAFF manages (admins: the whole tree)."""
    if staff.role is Role.ADMIN:
        return [unit.code for unit in tree]
    return subtree(staff.unit, tree) if staff.unit in tree else []


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone who may visit a household: care staff near it, or an approved volunteer."""

    user_id: int
    kind: VisitorKind
    name: str


async def visitor_candidates(services: Services, unit: str) -> list[Candidate]:
    """Returns who may visit a household at UNIT: care staff from the unit up to its community,
    then approved volunteers living in that community."""
    tree = await services.units.tree()
    chain = tree.chain(unit)
    community = tree.unit_at_tier(unit, Tier.COMMUNITY)
    stop = chain.index(community) if community in chain else len(chain) - 1
    codes = [u.code for u in chain[: stop + 1]]
    found: list[Candidate] = []
    staff = await services.people.staff_at(codes)
    for code in codes:
        for s in staff:
            if s.unit == code and domain.is_care_staff(s) and s.role is not Role.ADMIN:
                found.append(Candidate(s.user_id, VisitorKind.STAFF, s.name))
    area = subtree(community.code if community else unit, tree)
    taken = {c.user_id for c in found}
    volunteers = await services.store.volunteers.approved_in(area)
    for volunteer in sorted(volunteers, key=lambda v: v.user_id):
        if volunteer.user_id not in taken:
            found.append(Candidate(volunteer.user_id, VisitorKind.VOLUNTEER, volunteer.name))
    return found[:MAX_CANDIDATES]


async def _candidate(services: Services, unit: str, user_id: int) -> Candidate | None:
    return next((c for c in await visitor_candidates(services, unit) if c.user_id == user_id), None)


async def _lang_of(services: Services, user_id: int) -> str:
    langs = await services.people.languages([user_id])
    return langs.get(user_id, services.settings.default_language)


async def _told(services: Services, by: int, household: Household, key: str) -> list[Outgoing]:
    """Returns BY's confirmation (KEY) and, unless BY visits it, the visitor's brief (never the
    notes)."""
    messages = [
        outgoing.message(by, services.texts(key, await _lang_of(services, by), id=household.id))
    ]
    if household.visitor_id != by:
        lang = await _lang_of(services, household.visitor_id)
        text = brief(
            services.texts,
            await services.units.tree(),
            household,
            lang,
            kind_book(services.settings),
        )
        messages.append(
            outgoing.message(
                household.visitor_id, services.texts("care.assigned", lang, brief=Raw(text))
            )
        )
    return messages


async def register_household(
    services: Services,
    *,
    by: int,
    at: datetime,
    kind: str,
    unit: str,
    label: str,
    cadence: Cadence,
    visitor_id: int,
    notes: str,
) -> Done[Household] | Refused:
    """Registers a household of KIND (a configured [[care.kinds]] code) at UNIT, ends BY's
    draft, confirms to BY and tells its visitor what they visit (without the notes), in one
    commit.

    Refused: "common.not_allowed" (BY may not register at UNIT: recorded), "care.kind_gone"
    (KIND is no longer configured), "care.visitor_gone" (VISITOR_ID may no longer visit
    there), a CareError key (with {limit}).
    """
    staff = await services.people.staff(by)
    rule = access.register_household(staff, unit, await services.units.tree())
    if rule is not None:
        return await refuse(services, by, rule, f"unit:{unit}", "household:register", at=at)
    if kind_book(services.settings).get(kind) is None:
        return Refused("care.kind_gone")
    visitor = await _candidate(services, unit, visitor_id)
    if visitor is None:
        return Refused("care.visitor_gone")
    try:
        household = domain.register(
            kind=kind,
            unit=unit,
            label=label,
            cadence=cadence,
            visitor_id=visitor.user_id,
            visitor_kind=visitor.kind,
            notes=notes,
            by=by,
            at=at,
            policy=care_policy(services),
        )
    except CareError as error:
        return Refused(error.key, {"limit": domain.MAX_NOTES})
    async with services.store.transaction() as tx:
        stored = await tx.households.create(household, [], clear_draft_of=by)
        await tx.outbox.send(await _told(services, by, stored, "care.registered"), at)
    return Done(stored)


async def household_to_manage(
    services: Services, household_id: int | None, *, by: int, at: datetime, action: str
) -> Done[Household] | Refused:
    """Returns the household if BY may manage it now (access.manage_household) and it is active.

    Refused: "common.not_allowed" (no such household, not staff; or the rule refused ACTION:
    recorded), "care.inactive" ({id}).
    """
    household = await services.store.households.get(household_id) if household_id else None
    staff = await services.people.staff(by)
    if household is None or staff is None:
        return Refused("common.not_allowed")
    rule = access.manage_household(staff, household, await services.units.tree())
    if rule is not None:
        return await refuse(services, by, rule, f"household:{household.id}", action, at=at)
    if not household.active:
        return Refused("care.inactive", {"id": household.id})
    return Done(household)


async def _save(
    services: Services,
    before: Household,
    after: Household,
    *,
    by: int,
    at: datetime,
    action: str,
    messages: list[Outgoing],
    data: dict | None = None,
) -> Done[Household] | Refused:
    try:
        async with services.store.transaction() as tx:
            stored = await tx.households.save(
                before, after, action=action, actor_id=by, at=at, messages=messages, data=data
            )
    except StaleHousehold:
        return Refused("care.stale")
    return Done(stored)


async def set_cadence(
    services: Services, household_id: int, cadence: Cadence, *, by: int, at: datetime
) -> Done[Household] | Refused:
    """Puts the household on CADENCE (its next visit one cadence after the last) and tells BY
    when it falls due, in one commit. Refused: see household_to_manage, "care.stale"."""
    found = await household_to_manage(
        services, household_id, by=by, at=at, action="household:setcad"
    )
    if isinstance(found, Refused):
        return found
    before = found.value
    after = domain.change_cadence(before, cadence, care_policy(services))
    lang = await _lang_of(services, by)
    done = services.texts("care.cadence_set", lang, id=before.id, due=day(after.due_on))
    return await _save(
        services,
        before,
        after,
        by=by,
        at=at,
        action="cadence",
        messages=[outgoing.message(by, done)],
    )


async def set_visitor(
    services: Services, household_id: int, visitor_id: int, *, by: int, at: datetime
) -> Done[Household] | Refused:
    """Gives the household another visitor (the ladder is kept), confirms to BY and tells the
    new visitor what they visit, in one commit. Refused: see household_to_manage,
    "care.visitor_gone", "care.stale"."""
    found = await household_to_manage(
        services, household_id, by=by, at=at, action="household:setvis"
    )
    if isinstance(found, Refused):
        return found
    before = found.value
    visitor = await _candidate(services, before.unit, visitor_id)
    if visitor is None:
        return Refused("care.visitor_gone")
    after = replace(before, visitor_id=visitor.user_id, visitor_kind=visitor.kind)
    return await _save(
        services,
        before,
        after,
        by=by,
        at=at,
        action="visitor",
        messages=await _told(services, by, after, "care.visitor_set"),
        data={"from": before.visitor_id},
    )


async def stop_visits(
    services: Services, household_id: int, *, by: int, at: datetime
) -> Done[Household] | Refused:
    """Stops visits to the household (moved away, passed away, no longer eligible) and tells BY
    and its visitor, in one commit. Refused: see household_to_manage, "care.stale"."""
    found = await household_to_manage(
        services, household_id, by=by, at=at, action="household:offok"
    )
    if isinstance(found, Refused):
        return found
    before = found.value
    after = replace(before, active=False, next_at=None)
    text = services.texts("care.off", await _lang_of(services, by), id=before.id)
    messages = [outgoing.message(by, text)]
    if before.visitor_id != by:
        lang = (await services.people.languages([before.visitor_id])).get(before.visitor_id, "zh")
        text = services.texts("care.off_visitor", lang, id=before.id, label=before.label)
        messages.append(outgoing.message(before.visitor_id, text))
    return await _save(
        services, before, after, by=by, at=at, action="deactivate", messages=messages
    )


# The monthly figures ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindVisits:
    """One kind of household's visits in a month: logged, met in person, missed."""

    kind: str  # a [[care.kinds]] code, or one no longer configured
    done: int
    met: int
    missed: int


@dataclass(frozen=True, slots=True)
class WorkerPatrols:
    """One worker's patrols in a month, per kind (staff who left since still count)."""

    worker_id: int
    name: str
    kinds: dict[PatrolKind, int]

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


@dataclass(frozen=True, slots=True)
class MonthlyFigures:
    """A unit's month (its subtree's): reports opened and closed, visits, patrols."""

    unit: str
    month: tuple[int, int]
    new: int
    closed: int
    visits: list[KindVisits]
    patrols: list[WorkerPatrols]


async def monthly_figures(
    services: Services, unit: str, month: tuple[int, int], *, by: int, at: datetime
) -> Done[MonthlyFigures] | Refused:
    """Returns UNIT's figures for MONTH ((year, month), in the office's time zone) for BY.

    Refused: "care.staff_only" (not care staff), "common.not_allowed" (UNIT above or beside
    BY's own), both by their rule and recorded.
    """
    staff = await services.people.staff(by)
    if (rule := access.care_staff(staff)) is not None:
        return await refuse(services, by, rule, None, "/monthly", at=at, key="care.staff_only")
    assert staff is not None
    tree = await services.units.tree()
    if (rule := access.see_figures(staff, unit, tree)) is not None:
        return await refuse(services, by, rule, f"unit:{unit}", "/monthly", at=at)
    units = scope(staff, tree) if unit == staff.unit else subtree(unit, tree)
    start, end = domain.month_bounds(*month, services.tz)
    new, closed = await services.store.figures.counts(units, start, end)
    done = await services.store.households.visit_counts(units, start, end)
    missed = await services.store.households.miss_counts(units, start, end)
    seen = {k for k, _ in done} | set(missed)
    visits = [
        KindVisits(
            kind,
            sum(n for (k, _), n in done.items() if k == kind),
            done.get((kind, Outcome.MET.value), 0),
            missed.get(kind, 0),
        )
        for kind in kind_book(services.settings).ordered(seen)
    ]
    by_worker: dict[int, dict[PatrolKind, int]] = {}
    for worker_id, kind, n in await services.store.patrols.counts(units, start, end):
        by_worker.setdefault(worker_id, {})[PatrolKind(kind)] = n
    patrols = []
    for worker_id, kinds in sorted(by_worker.items(), key=lambda item: -sum(item[1].values())):
        worker = await services.people.staff(worker_id) or await services.people.former(worker_id)
        patrols.append(WorkerPatrols(worker_id, worker.name if worker else str(worker_id), kinds))
    return Done(
        MonthlyFigures(
            unit,
            month,
            new,
            closed,
            [v for v in visits if v.done or v.missed],
            patrols,
        )
    )
