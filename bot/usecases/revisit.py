"""回访 use cases: the sweep that sends each new task's cards, reminds and tells the street; the
caller's answer (once, never edited; "not satisfied" reopens the case one tier up as the
reporter's 👎 does, or only counts, per `[revisit] unsatisfied`); /revisits; the month's counts.

The task itself is created by the case's closing transaction (migration 0029's trigger), so the
reporter's stars and the verify expiry both make one, whoever wrote them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import reports as reports_domain
from bot.domain import revisit as domain
from bot.domain.access import Rule
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, Report, ReportEvent, Status
from bot.domain.revisit import AlreadyRecorded, Revisit, State, Step
from bot.domain.routing import refer_target
from bot.domain.units import UnitTree
from bot.notices import revisit as notices
from bot.services import Services
from bot.usecases.reports import save_move
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing
from storage.reports import StaleReport
from storage.revisit import StaleRevisit

log = logging.getLogger(__name__)

BATCH = 200  # tasks per sweep pass


@dataclass(frozen=True, slots=True)
class Checked:
    """A task BY may record now, with what its card shows."""

    about: notices.About
    staff: Staff
    handlers: frozenset[int]


async def _about(services: Services, task: Revisit, report: Report) -> notices.About:
    resident = await services.people.get(report.reporter_id) if report.reporter_id else None
    categories = {c.code: c for c in await services.units.categories()}
    return notices.About(task, report, resident, await services.units.tree(), categories)


async def _handlers(services: Services, report_id: int) -> frozenset[int]:
    return domain.handlers_of(await services.reports.events(report_id))


async def _langs(services: Services, ids: list[int]) -> list[tuple[int, str]]:
    langs = await services.people.languages(ids)
    default = services.settings.default_language
    return [(i, langs.get(i, default)) for i in ids]


def _event(
    report: Report,
    action: Action,
    at: datetime,
    *,
    actor: int | None = None,
    note: str | None = None,
    **data: object,
) -> ReportEvent:
    """An event of the report's history that leaves its status as it is."""
    return ReportEvent(action, report.status, report.status, actor, at, note, dict(data), report.id)


async def _callers(
    services: Services, report: Report, handlers: frozenset[int]
) -> tuple[str | None, list[Staff], UnitTree]:
    tree = await services.units.tree()
    staff = await services.people.along(tree, report.unit) if report.unit in tree else []
    unit, found = domain.callers(
        staff, tree, report.unit, services.settings.revisit.caller_level, handlers
    )
    return unit, found, tree


# The sweep: cards for new tasks, then one step per overdue task ---------------------------------


async def sweep(services: Services, now: datetime) -> int:
    """Takes the one due step of every due task (at most BATCH a pass); returns how many."""
    acted = 0
    for task in await services.store.revisits.due(now, BATCH):
        try:
            acted += await _step(services, task, now)
        except StaleRevisit:
            continue  # answered or stepped meanwhile: nothing to do
    if acted:
        log.info("revisit sweep took %d steps", acted)
    return acted


async def _step(services: Services, task: Revisit, now: datetime) -> int:
    report = await services.reports.get(task.report_id)
    settings = services.settings.revisit
    street_after = timedelta(days=settings.street_after_days)
    repo = services.store.revisits
    if report is None or task.state is State.ANSWERED:
        await repo.save(replace(task, next_at=None), expect_version=task.version, at=now)
        return 0
    handlers = await _handlers(services, task.report_id)
    unit, callers, tree = await _callers(services, report, handlers)
    if task.state is State.NEW:
        opened = domain.offer(task, timedelta(days=settings.within_days))
        about = await _about(services, opened, report)
        event = _event(
            report, Action.REVISIT, now, revisit=task.id, unit=unit, callers=len(callers)
        )
        chats = await _langs(services, [s.user_id for s in callers])
        await repo.save(
            opened,
            expect_version=task.version,
            events=[event],
            messages=notices.cards(services, about, chats),
            at=now,
        )
        return 1
    step = domain.step_due(task, now, street_after)
    if step is None:  # nothing left to do (a step taken, then the settings changed)
        await repo.save(replace(task, next_at=None), expect_version=task.version, at=now)
        return 0
    after = domain.after_step(task, step, street_after)
    about = await _about(services, after, report)
    messages: list[Outgoing]
    if step is Step.REMIND:
        event = _event(report, Action.REVISIT_REMIND, now, revisit=task.id)
        chats = await _langs(services, [s.user_id for s in callers])
        messages = notices.reminders(services, about, chats)
    else:
        above = tree.get(unit).parent if unit is not None and unit in tree else None
        told = [
            s
            for s in (await services.people.staff_at([above]) if above else [])
            if s.role in domain.CALLER_ROLES
        ]
        event = _event(report, Action.REVISIT_OVERDUE, now, revisit=task.id, unit=above)
        chats = await _langs(services, [s.user_id for s in told])
        name = tree.get(unit).name if unit is not None and unit in tree else "—"
        messages = notices.street_notices(services, about, name, chats)
    await repo.save(after, expect_version=task.version, events=[event], messages=messages, at=now)
    return 1


# The caller: check, answer, record ---------------------------------------------------------------


async def check(
    services: Services, revisit_id: int | None, *, by: int, at: datetime, attempted: str
) -> Done[Checked] | Refused:
    """Re-authorises BY on the task now: it exists, is not recorded yet, and BY is community
    staff (or above) over the case who did not handle it (access.record_revisit).

    Refused: revisit.gone, revisit.already (with the answer), revisit.handler or
    revisit.not_allowed (both recorded for /audit as ATTEMPTED)."""
    task = await services.store.revisits.get(revisit_id) if revisit_id is not None else None
    report = await services.reports.get(task.report_id) if task is not None else None
    if task is None or report is None:
        return Refused("revisit.gone")
    if task.state is State.ANSWERED:
        return await already(services, task, report, by)
    handlers = await _handlers(services, task.report_id)
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    rule = access.record_revisit(staff, report.unit, tree, handlers)
    if rule is not None or staff is None:
        key = "revisit.handler" if by in handlers else "revisit.not_allowed"
        return await refuse(
            services,
            by,
            rule or Rule.REVISIT_RECORD,
            f"revisit:{task.id}",
            attempted,
            at=at,
            key=key,
            number=report.number,
        )
    return Done(Checked(await _about(services, task, report), staff, handlers))


async def already(services: Services, task: Revisit, report: Report, by: int) -> Refused:
    """revisit.already, the answer named in BY's language."""
    me = await services.people.get(by)
    lang = me.lang if me else services.settings.default_language
    return Refused(
        "revisit.already",
        {
            "number": report.number,
            "at": notices.when(services, task.answered_at),
            "answer": notices.answer_label(services, lang, task.satisfied),
        },
    )


async def record(
    services: Services,
    revisit_id: int | None,
    *,
    by: int,
    at: datetime,
    satisfied: bool,
    note: str | None,
    attempted: str,
) -> Done[Revisit] | Refused:
    """Records the resident's answer once, ends BY's note flow, turns every copy of the card
    into the answer and, for "not satisfied" under the `reopen` rule, reopens the case one tier
    up as the reporter's 👎 does — all in one commit.

    Refused: as `check`; revisit.already if someone recorded it first."""
    checked = await check(services, revisit_id, by=by, at=at, attempted=attempted)
    if isinstance(checked, Refused):
        return checked
    about, staff = checked.value.about, checked.value.staff
    task, report = about.task, about.report
    try:
        answered = domain.record(task, by, at, satisfied=satisfied, note=note)
    except AlreadyRecorded:
        return await already(services, task, report, by)
    reopen = (
        not satisfied
        and services.settings.revisit.unsatisfied == "reopen"
        and report.status in (Status.CLOSED, Status.CLOSED_UNVERIFIED)
    )
    me = await services.people.get(by)
    lang = me.lang if me else services.settings.default_language
    answered_about = replace(about, task=answered)
    holders = await _langs(services, await services.outbox.card_chats(notices.card_key(task)))
    messages = [
        *notices.answered_cards(services, answered_about, staff.name, holders),
        notices.recorded(services, lang, by, report.number, satisfied, reopen),
    ]
    event = _event(
        report,
        Action.REVISIT_ANSWER,
        at,
        actor=by,
        note=note,
        revisit=task.id,
        satisfied=int(satisfied),
    )
    try:
        async with services.store.transaction() as tx:
            await tx.revisits.save(
                answered, expect_version=task.version, events=[event], messages=messages, at=at
            )
            await tx.drafts.clear(by, at)
            if reopen:
                await _reopen(services, report, by=by, at=at, task=answered)
    except (StaleRevisit, StaleReport):
        fresh = await services.store.revisits.get(task.id) if task.id is not None else None
        if fresh is not None and fresh.state is State.ANSWERED:
            return await already(services, fresh, report, by)
        return Refused("worker.stale", {"number": report.number})
    return Done(answered)


async def _reopen(
    services: Services, report: Report, *, by: int, at: datetime, task: Revisit
) -> None:
    """The reporter's 👎, said on the phone: one tier up on a new clock (the top tier keeps it)."""
    tree = await services.units.tree()
    staff = await services.people.along(tree, report.holder_unit)
    up = refer_target(report.holder_unit, tree, staff, report.category)
    lang = services.settings.default_language
    after, event = reports_domain.reopen(
        report,
        by,
        at,
        up=up,
        note=services.texts("revisit.reopen_note", lang),
        after_close={"revisit": task.id},
    )
    await save_move(services, report, after, event)


# /revisits and the month's counts ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    items: list[notices.About]
    page: int
    total: int


async def waiting(
    services: Services, *, by: int, at: datetime, page: int, attempted: str = "/revisits"
) -> Done[Page] | Refused:
    """A page of the tasks BY may call (oldest closing first); refused for anyone who makes no
    回访 (access.record_revisit at their own unit): revisit.staff_only."""
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    unit = staff.unit if staff is not None else ""
    if (rule := access.record_revisit(staff, unit, tree, frozenset())) is not None:
        return await refuse(services, by, rule, None, attempted, at=at, key="revisit.staff_only")
    assert staff is not None
    units = None if staff.role is Role.ADMIN else _subtree(tree, staff.unit)
    page = max(page, 0)
    tasks, total = await services.store.revisits.waiting(
        by, units, offset=page * notices.PAGE, limit=notices.PAGE
    )
    found = {r.id: r for r in await services.reports.get_many([t.report_id for t in tasks])}
    items = [await _about(services, t, found[t.report_id]) for t in tasks if t.report_id in found]
    return Done(Page(items, page, total))


def _subtree(tree: UnitTree, unit: str) -> list[str]:
    return [u.code for u in tree if unit in tree and tree.is_within(u.code, unit)]


async def month_counts(
    services: Services, unit: str, start: datetime, end: datetime
) -> tuple[int, int, int]:
    """(satisfied, not satisfied, still to call) of the tasks of cases at UNIT and below that
    closed in [START, END)."""
    tree = await services.units.tree()
    return await services.store.revisits.counts(_subtree(tree, unit), start, end)
