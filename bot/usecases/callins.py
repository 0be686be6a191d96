"""吹哨报到 use cases: the holder calls parties in (and withdraws them), each party 报到s and
reports its part done, and the sweep nags and escalates overdue call-ins.

首问责任制: nothing here changes the report's holder or assignee; bot/usecases/reports.resolve
refuses while a call-in is live. Each use case re-authorises against the database
(bot/domain/access.py call_in / answer_callin) and writes in one unit of work: the call-in row,
its event (callin_events) and every notice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import access
from bot.domain import callins as domain
from bot.domain.access import Rule
from bot.domain.callins import CallIn, CallInError, CallInEvent, Party, Policy, State
from bot.domain.deadlines import Rules, Span
from bot.domain.people import Role, Staff
from bot.domain.reports import Report
from bot.domain.units import UnitTree
from bot.notices.callin_lines import party_book
from bot.notices.callins import Notices
from bot.notices.reports import handlers_of
from bot.services import Services
from bot.usecases.deadlines import deadline_rules
from bot.usecases.results import Done, Refused, refuse
from storage.callins import AlreadyIn, StaleCallIn
from storage.outbox import Outgoing
from storage.reports import StaleReport

log = logging.getLogger(__name__)

NOTE_LIMIT = 500  # characters in a party's note or a withdrawal reason


def policy_of(services: Services) -> Policy:
    c = services.settings.callins
    return Policy(Span.parse(c.ack), Span.parse(c.done), Span.parse(c.escalate_every))


def parties_of(services: Services) -> dict[str, Party]:
    return party_book(services.settings)


# The holder's side ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choices:
    """What the holder may do with REPORT's call-ins now."""

    report: Report
    staff: Staff
    open: list[Party]  # parties covering the report that are not in now
    live: list[CallIn]  # call-ins that may be withdrawn
    tripartite: list[Party]  # the unit's 物业, 居委会, 业委会 not in now


async def _holder(
    services: Services, report_id: int | None, *, by: int, at: datetime, attempted: str
) -> tuple[Report, Staff] | Refused:
    """Re-authorises BY as the holder of open REPORT_ID (access.call_in)."""
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("callin.forged")
    staff = await services.people.staff(by)
    rule = access.call_in(staff, report, await services.units.tree())
    if rule is None and staff is not None and not report.status.is_open:
        return Refused("callin.not_open", {"number": report.number})
    if rule is not None or staff is None:
        return await refuse(
            services,
            by,
            rule or Rule.CALLIN_CALL,
            f"report:{report.id}",
            attempted,
            at=at,
            key="callin.not_holder",
            number=report.number,
        )
    return report, staff


async def choices(
    services: Services, report_id: int | None, *, by: int, at: datetime, attempted: str
) -> Done[Choices] | Refused:
    """The parties BY (the holder) may call into REPORT_ID, and the live call-ins."""
    held = await _holder(services, report_id, by=by, at=at, attempted=attempted)
    if isinstance(held, Refused):
        return held
    report, staff = held
    assert report.id is not None
    tree = await services.units.tree()
    parties = parties_of(services)
    current = await services.store.callins.of_report(report.id)
    live = [c for c in current if c.state.is_live]
    busy = {c.party for c in live}
    covering = [p for p in parties.values() if p.covers(report, tree)]
    return Done(
        Choices(
            report,
            staff,
            [p for p in covering if p.code not in busy],
            live,
            [p for p in domain.tripartite(parties.values(), report, tree) if p.code not in busy],
        )
    )


async def call_in(
    services: Services,
    report_id: int | None,
    codes: list[str],
    *,
    by: int,
    at: datetime,
    attempted: str = "callin:send",
) -> Done[list[CallIn]] | Refused:
    """吹哨: BY (the holder) calls the parties CODES into the report, each with its own 报到
    clock; every member gets its card, the holder's card and the reporter's status card show
    them, in one commit. All or nothing.

    Refused: callin.forged / not_open / not_holder (recorded), none_chosen, unknown_party,
    not_covered, already_in, nobody (no active member to receive the card).
    """
    held = await _holder(services, report_id, by=by, at=at, attempted=attempted)
    if isinstance(held, Refused):
        return held
    report, _ = held
    if not codes:
        return Refused("callin.none_chosen", {"number": report.number})
    parties = parties_of(services)
    tree = await services.units.tree()
    chosen: list[Party] = []
    for code in dict.fromkeys(codes):
        party = parties.get(code)
        if party is None:
            return Refused("callin.unknown_party", {"party": code})
        if not party.covers(report, tree):
            return Refused("callin.not_covered", {"party": code, "number": report.number})
        members = [await services.people.staff(m) for m in party.members]
        if not any(m is not None and m.role is Role.PARTNER for m in members):
            return Refused("callin.nobody", {"party": code})
        chosen.append(party)
    rules, policy = deadline_rules(services.settings), policy_of(services)
    try:
        async with services.store.transaction() as tx:
            if not await tx.callins.claim_report(report.id or 0, report.version):
                raise StaleReport(report.id)
            stored = []
            for party in chosen:
                callin, event = domain.call(report, party, by=by, at=at, rules=rules, policy=policy)
                stored.append(await tx.callins.insert(callin, event))
            notices = await Notices.load(services, report)
            reached = [_only(p, _active(p, await _staff_of(services, p))) for p in chosen]
            messages = await notices.called(stored, reached, by)
            await tx.outbox.send(messages, at)
            await tx.drafts.clear(by, at)
    except AlreadyIn as already:
        return Refused("callin.already_in", {"party": str(already), "number": report.number})
    except StaleReport:  # moved (or resolved) since it was read: nothing was written
        return Refused("callin.stale", {"number": report.number})
    return Done(stored)


async def _staff_of(services: Services, party: Party) -> list[Staff]:
    found = [await services.people.staff(m) for m in party.members]
    return [s for s in found if s is not None]


def _active(party: Party, staff: list[Staff]) -> tuple[int, ...]:
    """The party's members who are active partner staff now (deactivated ones get no card)."""
    active = {s.user_id for s in staff if s.role is Role.PARTNER}
    return tuple(m for m in party.members if m in active)


def _only(party: Party, members: tuple[int, ...]) -> Party:
    return Party(party.code, party.zh, party.en, party.kind, party.categories, party.units, members)


async def call_tripartite(
    services: Services, report_id: int | None, *, by: int, at: datetime
) -> Done[list[CallIn]] | Refused:
    """三方协同: calls the unit's 物业, 居委会 and 业委会 that are not in yet, together.
    Refused as call_in, or callin.no_tripartite (none configured for the place, or all in)."""
    found = await choices(services, report_id, by=by, at=at, attempted="callin:three")
    if isinstance(found, Refused):
        return found
    if not found.value.tripartite:
        return Refused("callin.no_tripartite", {"number": found.value.report.number})
    codes = [p.code for p in found.value.tripartite]
    return await call_in(services, report_id, codes, by=by, at=at, attempted="callin:three")


async def check_withdraw(
    services: Services, callin_id: int | None, *, by: int, at: datetime, attempted: str
) -> Done[tuple[CallIn, Report]] | Refused:
    """Re-authorises BY to withdraw CALLIN_ID: the holder, while it is live."""
    callin = await services.store.callins.get(callin_id) if callin_id is not None else None
    if callin is None:
        return Refused("callin.forged")
    held = await _holder(services, callin.report_id, by=by, at=at, attempted=attempted)
    if isinstance(held, Refused):
        return held
    if not callin.state.is_live:
        return _not_live(callin, held[0])
    return Done((callin, held[0]))


async def withdraw(
    services: Services,
    callin_id: int | None,
    *,
    by: int,
    at: datetime,
    reason: str,
    attempted: str = "message",
) -> Done[CallIn] | Refused:
    """撤回: BY (the holder) withdraws a live call-in with REASON; the party's card loses its
    buttons and says why, the holder's and reporter's cards drop it. Ends BY's flow."""
    checked = await check_withdraw(services, callin_id, by=by, at=at, attempted=attempted)
    if isinstance(checked, Refused):
        return checked
    callin, report = checked.value
    after, event = domain.withdraw(callin, by=by, at=at, reason=reason)
    party = parties_of(services).get(callin.party)
    try:
        async with services.store.transaction() as tx:
            stored = await tx.callins.save(after, event)
            notices = await Notices.load(services, report)
            await tx.outbox.send(await notices.withdrawn(stored, party, by), at)
            await tx.drafts.clear(by, at)
    except StaleCallIn:
        return Refused("callin.stale", {"number": report.number})
    return Done(stored)


# The party's side ---------------------------------------------------------------------------


def _not_live(callin: CallIn, report: Report) -> Refused:
    key = "callin.was_withdrawn" if callin.state is State.WITHDRAWN else "callin.was_done"
    return Refused(key, {"number": report.number})


async def check_answer(
    services: Services, callin_id: int | None, *, by: int, at: datetime, attempted: str
) -> Done[tuple[CallIn, Report, Party]] | Refused:
    """Re-authorises BY as a member of CALLIN_ID's party (access.answer_callin)."""
    callin = await services.store.callins.get(callin_id) if callin_id is not None else None
    report = await services.reports.get(callin.report_id) if callin is not None else None
    if callin is None or report is None:
        return Refused("callin.forged")
    party = parties_of(services).get(callin.party)
    staff = await services.people.staff(by)
    if (rule := access.answer_callin(staff, party)) is not None or party is None:
        return await refuse(
            services,
            by,
            rule or Rule.CALLIN_ANSWER,
            f"callin:{callin.id}",
            attempted,
            at=at,
            key="callin.not_member",
            number=report.number,
        )
    return Done((callin, report, party))


async def _answer(
    services: Services,
    callin_id: int | None,
    *,
    by: int,
    at: datetime,
    attempted: str,
    done: tuple[str | None, str | None] | None,
) -> Done[CallIn] | Refused:
    checked = await check_answer(services, callin_id, by=by, at=at, attempted=attempted)
    if isinstance(checked, Refused):
        return checked
    callin, report, party = checked.value
    params = {"number": report.number}
    try:
        if done is None:
            after, event = domain.acknowledge(
                callin,
                by=by,
                at=at,
                rules=deadline_rules(services.settings),
                policy=policy_of(services),
            )
        else:
            after, event = domain.finish(callin, by=by, at=at, note=done[0], photo=done[1])
    except CallInError as refused:
        if refused.key == "callin.not_live":
            return _not_live(callin, report)
        return Refused(refused.key, params)
    members = _active(party, await _staff_of(services, party))
    try:
        async with services.store.transaction() as tx:
            stored = await tx.callins.save(after, event)
            notices = await Notices.load(services, report)
            if done is None:
                messages = await notices.acked(stored, _only(party, members))
            else:
                all_done = not await tx.callins.live_count(report.id or 0)
                messages = await notices.done(stored, _only(party, members), all_done=all_done)
                await tx.drafts.clear(by, at)
            await tx.outbox.send(messages, at)
    except StaleCallIn:
        return Refused("callin.stale", params)
    return Done(stored)


async def acknowledge(
    services: Services, callin_id: int | None, *, by: int, at: datetime
) -> Done[CallIn] | Refused:
    """报到: a member of the called party takes it; the clock to finish starts.
    Refused: callin.forged, not_member (recorded), already_acked, was_withdrawn, was_done, stale."""
    return await _answer(services, callin_id, by=by, at=at, attempted="callin:ack", done=None)


async def finish(
    services: Services,
    callin_id: int | None,
    *,
    by: int,
    at: datetime,
    note: str | None,
    photo: str | None,
    attempted: str = "message",
) -> Done[CallIn] | Refused:
    """The party's part is done, with NOTE and/or PHOTO: the holder is told (with the photo)
    and their card shows it; ends BY's flow. Refused as acknowledge, or callin.ack_first."""
    return await _answer(services, callin_id, by=by, at=at, attempted=attempted, done=(note, photo))


async def my_cards(services: Services, *, by: int, at: datetime) -> Done[int] | Refused:
    """Sends BY (a member of a party) their party's live call-in cards again, as new messages
    (a lost card); returns how many. Refused: callin.command_usage for anyone else (the holder's
    /callin takes a case number), callin.no_cards when nothing is waiting."""
    staff = await services.people.staff(by)
    mine = [p for p in parties_of(services).values() if staff is not None and p.is_member(by)]
    if not mine or staff is None or staff.role is not Role.PARTNER:
        return Refused("callin.command_usage")
    live = await services.store.callins.live_of([p.code for p in mine])
    if not live:
        return Refused("callin.no_cards")
    reports = {r.id: r for r in await services.reports.get_many([c.report_id for c in live])}
    cards = []
    for callin in live:
        report = reports.get(callin.report_id)
        if report is None:
            continue
        notices = await Notices.load(services, report)
        await notices.learn([by])
        cards.append(notices.party_card(callin, by, await notices.caller_name(callin)))
    await services.store.outbox.send_anew(cards, at)
    return Done(len(cards))


# Reads ----------------------------------------------------------------------------------------


async def live_parts(services: Services, report_id: int) -> int:
    """How many call-ins keep REPORT_ID's holder from resolving it."""
    return await services.store.callins.live_count(report_id)


# The sweep: overdue call-ins nag the party, then escalate to the holder and up the tiers -------

BATCH = 200


async def nag_due(services: Services, now: datetime, *, limit: int = BATCH * 50) -> int:
    """Takes the one due step of every overdue call-in (at most LIMIT); returns how many.

    Reads what is due through the partial index callins_next, decides one step per call-in
    (after downtime, the most advanced one: bot/domain/callins.overdue) and writes each with
    compare-and-set on its version, with its event and messages.
    """
    repo = services.store.callins
    rules, policy = deadline_rules(services.settings), policy_of(services)
    parties = parties_of(services)
    tree = await services.units.tree()
    all_staff = await services.people.all_staff()
    urgent = frozenset(c.code for c in await services.units.categories() if c.urgent)
    acted = 0
    left = limit
    while left > 0:
        ids = await repo.due(now, min(BATCH, left))
        if not ids:
            break
        left -= len(ids)
        found = await repo.get_many(ids)
        reports = {r.id: r for r in await services.reports.get_many([c.report_id for c in found])}
        steps = []
        for callin in found:
            report = reports.get(callin.report_id)
            planned = await _plan(
                services, callin, report, now, rules, policy, parties, tree, all_staff, urgent
            )
            if planned is not None:
                steps.append(planned)
        taken = await repo.apply(steps, now)
        acted += taken
        if len(ids) < BATCH or not steps:
            break
    if acted:
        log.info("call-in sweep took %d steps", acted)
    return acted


async def _plan(
    services: Services,
    callin: CallIn,
    report: Report | None,
    now: datetime,
    rules: Rules,
    policy: Policy,
    parties: dict[str, Party],
    tree: UnitTree,
    all_staff: list[Staff],
    urgent: frozenset[str],
) -> tuple[CallIn, CallInEvent | None, list[Outgoing]] | None:
    """Returns CALLIN's step at NOW with its event and messages, bookkeeping only, or None."""
    if callin.next_at is None or callin.next_at > now:
        return None
    if report is None or not report.status.is_open or not callin.state.is_live:
        after, event = domain.stop(callin, now)
        return after, event, []
    units = domain.escalation_units(report, tree, all_staff)
    due = domain.overdue(
        callin, now, rules, policy, levels=1 + len(units), urgent=report.category in urgent
    )
    if due.stage <= callin.stage:  # nothing new (or a nag waiting out quiet hours): the look moves
        return replace(callin, next_at=due.next_at), None, []
    after, event = domain.step(callin, due, now)
    notices = await Notices.load(services, report)
    party = parties.get(callin.party)
    if due.stage == 1:
        active = _active(party, await _staff_of(services, party)) if party else ()
        messages = await notices.nagged(after, _only(party, active) if party else None)
    else:
        level = due.stage - 1
        if level == 1:
            to = await handlers_of(services, report) or [
                s for s in all_staff if s.unit == report.holder_unit and s.role is not Role.PARTNER
            ]
        else:
            unit = units[level - 2]
            to = [
                s for s in all_staff if s.unit == unit and s.role not in (Role.PARTNER, Role.ADMIN)
            ]
        messages = await notices.escalated(after, to, level)
    return after, event, messages
