"""1+1+1+N grid teams: a building's team and party member (/building), the helpers' 工作月汇报
(/teamreport, /teamreports) and the sweep that reminds them and tells the grid head who is
missing.

Every change is re-authorised against the database (bot/domain/access.py: team_view, team_link,
team_report, team_reports) and written with the messages it causes in one commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import access
from bot.domain import teams as domain
from bot.domain.people import Staff
from bot.domain.teams import Candidate, Link, MonthlyReport, Team
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices import teams as notices
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing

BATCH = 500  # reminders queued per sweep pass (each in its own commit)


# /building: a building's team and its party member -------------------------------------------


def _building(tree: UnitTree, code: str) -> Refused | None:
    if code not in tree or tree.get(code).level != domain.BUILDING:
        return Refused("teams.not_building", {"code": code})
    return None


async def building_team(
    services: Services, building: str, *, by: int, at: datetime
) -> Done[Team] | Refused:
    """Returns BUILDING's team, if BY may see it (the grid's staff and above)."""
    tree = await services.units.tree()
    if (wrong := _building(tree, building)) is not None:
        return wrong
    actor = await services.people.staff(by)
    if (rule := access.view_team(actor, building, tree)) is not None:
        return await refuse(services, by, rule, f"unit:{building}", "/building", at=at)
    staff = await services.people.staff_at(_team_units(tree, building))
    link = await services.store.teams.link_of(building)
    return Done(domain.team(building, tree, staff, link))


def _team_units(tree: UnitTree, building: str) -> list[str]:
    grid = domain.grid_of(building, tree)
    entrances = [u.code for u in tree.children(building)]
    return [building, *entrances, *([grid] if grid else [])]


def _candidate_units(tree: UnitTree, building: str) -> list[str]:
    """Returns where a building's party member may live or work: its grid's units and the
    community above it (a building outside any grid: the building and below)."""
    top = domain.grid_of(building, tree) or building
    units = [u.code for u in tree if tree.is_within(u.code, top)]
    community = domain.at_level(building, tree, "community")
    return units + ([community] if community and community not in units else [])


async def candidates(
    services: Services, building: str, *, by: int, at: datetime
) -> Done[list[Candidate]] | Refused:
    """Returns who BY may link to BUILDING as its party member: approved party-member volunteers
    of its grid and staff working there."""
    tree = await services.units.tree()
    if (wrong := _building(tree, building)) is not None:
        return wrong
    actor = await services.people.staff(by)
    if (rule := access.link_party_member(actor, building, tree)) is not None:
        return await refuse(services, by, rule, f"unit:{building}", "bldg:pick", at=at)
    found = await services.store.teams.candidates(_candidate_units(tree, building))
    if not found:
        return Refused("teams.no_candidates", {"place": tree.place_name(building)})
    return Done(found)


async def link(
    services: Services, building: str, user_id: int, *, by: int, at: datetime
) -> Done[Link] | Refused:
    """Links USER_ID to BUILDING as its party member (一名党员一幢楼) and tells them, in one
    commit; someone linked before is replaced."""
    tree = await services.units.tree()
    if (wrong := _building(tree, building)) is not None:
        return wrong
    actor = await services.people.staff(by)
    if (rule := access.link_party_member(actor, building, tree)) is not None:
        return await refuse(services, by, rule, f"unit:{building}", "bldg:set", at=at)
    found = await services.store.teams.candidates(_candidate_units(tree, building))
    if user_id not in {c.user_id for c in found}:
        return Refused("teams.not_candidate")
    lang = (await services.people.languages([user_id])).get(user_id)
    lang = lang or services.settings.default_language
    told = outgoing.message(
        user_id, services.texts("teams.linked_you", lang, place=tree.place_name(building))
    )
    async with services.store.transaction() as tx:
        await tx.teams.link(building, user_id, by=by, at=at)
        await tx.outbox.send([told], at)
        linked = await tx.teams.link_of(building)
    assert linked is not None
    return Done(linked)


async def unlink(
    services: Services, building: str, user_id: int, *, by: int, at: datetime
) -> Done[None] | Refused:
    """Removes USER_ID as BUILDING's party member (if they still are) and tells them."""
    tree = await services.units.tree()
    if (wrong := _building(tree, building)) is not None:
        return wrong
    actor = await services.people.staff(by)
    if (rule := access.link_party_member(actor, building, tree)) is not None:
        return await refuse(services, by, rule, f"unit:{building}", "bldg:unset", at=at)
    lang = (await services.people.languages([user_id])).get(user_id)
    lang = lang or services.settings.default_language
    told = outgoing.message(
        user_id, services.texts("teams.unlinked_you", lang, place=tree.place_name(building))
    )
    async with services.store.transaction() as tx:
        if not await tx.teams.unlink(building, expected=user_id):
            return Refused("teams.stale")
        await tx.outbox.send([told], at)
    return Done(None)


# 工作月汇报: the helpers' monthly report ---------------------------------------------------------


async def begin_report(services: Services, *, by: int, at: datetime) -> Done[str] | Refused:
    """Returns the month BY reports on now, if they owe a report and have not sent it."""
    actor = await services.people.staff(by)
    if (rule := access.send_team_report(actor)) is not None:
        return await refuse(services, by, rule, None, "/teamreport", at=at)
    month = domain.month_of(at, services.tz)
    if await services.store.teams.report(by, month) is not None:
        return Refused("teams.already_sent", {"month": month})
    return Done(month)


async def send_report(
    services: Services,
    month: str,
    answers: dict[str, str],
    *,
    by: int,
    at: datetime,
    then: Callable[[MonthlyReport], Sequence[Outgoing]],
) -> Done[MonthlyReport] | Refused:
    """Stores BY's report for MONTH with every prompt's answer, the messages THEN makes and the
    draft cleared, in one commit; refused if they no longer owe one or sent it meanwhile."""
    actor = await services.people.staff(by)
    if (rule := access.send_team_report(actor)) is not None:
        return await refuse(services, by, rule, None, "teamrep:send", at=at)
    assert actor is not None
    codes = [prompt.code for prompt in services.settings.teams.prompts]
    if sorted(answers) != sorted(codes):
        return Refused("teams.stale")  # the questions changed while they answered
    tree = await services.units.tree()
    report = MonthlyReport(
        user_id=by,
        month=month,
        unit=actor.unit,
        grid=domain.grid_of(actor.unit, tree),
        role=actor.role,
        answers={code: answers[code] for code in codes},
        sent_at=at,
    )
    async with services.store.transaction() as tx:
        if not await tx.teams.save(report):
            return Refused("teams.already_sent", {"month": month})
        await tx.outbox.send(list(then(report)), at)
        await tx.drafts.clear(by, at)
    return Done(report)


@dataclass(frozen=True, slots=True)
class Reading:
    """A month's reports of the helpers in a reader's area, and who is still missing."""

    month: str
    sent: list[tuple[str, MonthlyReport]]  # (the helper's name, their report)
    missing: list[Staff]


async def monthly_reports(
    services: Services, month: str, *, by: int, at: datetime
) -> Done[Reading] | Refused:
    """Returns MONTH's monthly reports of the helpers at BY's unit and below (admins: all)."""
    actor = await services.people.staff(by)
    tree = await services.units.tree()
    unit = actor.unit if actor is not None else ""
    if (rule := access.read_team_reports(actor, unit, tree)) is not None:
        return await refuse(services, by, rule, None, "/teamreports", at=at)
    assert actor is not None
    top = domain.reading_scope(actor)
    units = None if top is None else [u.code for u in tree if tree.is_within(u.code, top)]
    helpers = await services.store.teams.helpers(units)
    sent = await services.store.teams.sent(month, units)
    names = {h.user_id: h.name for h in helpers}
    for report in sent:
        if report.user_id not in names:  # left since: their name as it was
            former = await services.people.former(report.user_id)
            names[report.user_id] = former.name if former else f"#{report.user_id}"
    current = domain.month_of(at, services.tz)
    missing = domain.missing(helpers, [r.user_id for r in sent]) if month <= current else []
    return Done(Reading(month, [(names[r.user_id], r) for r in sent], missing))


async def monthly_sweep(services: Services, now: datetime) -> int:
    """Queues the monthly report's reminders (from [teams] report_day) or, after the grace
    days, each grid's missing list to its grid head; returns how many were queued. Each
    reminder and list is claimed in the commit that queues it (once per person / grid and
    month); after a downtime past the grace only the lists go out."""
    config = services.settings.teams
    if not config.monthly_reports:
        return 0
    due = domain.due(
        now,
        services.tz,
        day=config.report_day,
        hour=config.report_hour,
        grace_days=config.grace_days,
    )
    if due is None:
        return 0
    if due.digest:
        return await _missing_lists(services, due.month, now)
    return await _reminders(services, due.month, now)


async def _reminders(services: Services, month: str, now: datetime) -> int:
    touched = await services.store.teams.touched(month)
    owed = [h for h in await services.store.teams.helpers() if h.user_id not in touched][:BATCH]
    if not owed:
        return 0
    tree = await services.units.tree()
    languages = await services.people.languages([h.user_id for h in owed])
    default = services.settings.default_language
    queued = 0
    for helper in owed:
        message = notices.reminder(
            services, helper, languages.get(helper.user_id) or default, month
        )
        async with services.store.transaction(completes_update=False) as tx:
            grid = domain.grid_of(helper.unit, tree)
            if await tx.teams.claim_reminder(helper, grid, month, now):
                await tx.outbox.send([message], now)
                queued += 1
    return queued


async def _missing_lists(services: Services, month: str, now: datetime) -> int:
    done = await services.store.teams.digested(month)
    tree = await services.units.tree()
    sent = {r.user_id for r in await services.store.teams.sent(month)}
    by_grid: dict[str, list[Staff]] = {}
    for helper in domain.missing(await services.store.teams.helpers(), sent):
        grid = domain.grid_of(helper.unit, tree) or helper.unit
        if grid not in done:
            by_grid.setdefault(grid, []).append(helper)
    if not by_grid:
        return 0
    staff = await services.people.all_staff()
    default = services.settings.default_language
    queued = 0
    for grid, missing in sorted(by_grid.items()):
        leads = domain.grid_leads(grid, tree, staff)
        languages = await services.people.languages([s.user_id for s in leads])
        messages = [
            notices.missing_list(
                services,
                lead,
                languages.get(lead.user_id) or default,
                grid=grid,
                month=month,
                missing=missing,
                tree=tree,
            )
            for lead in leads
        ]
        async with services.store.transaction(completes_update=False) as tx:
            if await tx.teams.claim_digest(grid, month, now):
                await tx.outbox.send(messages, now)
                queued += 1
    return queued
