"""Report use cases: submitting, saving a move, and the deadline sweep (escalate_due)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.domain import access, checks, deadlines, duplicates
from bot.domain import reports as domain
from bot.domain.access import Rule
from bot.domain.deadlines import Do, ExtensionError, Span
from bot.domain.people import Staff
from bot.domain.reports import (
    WINDOW_OF,
    Action,
    InvalidTransition,
    RejectReason,
    Report,
    ReportEvent,
    Status,
    Window,
)
from bot.domain.routing import Route, refer_target, route
from bot.domain.routing import transfer_targets as transfer_targets_of
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices import teams as team_notices
from bot.notices.buttons import key, keyboard
from bot.notices.reports import (
    TIER_ICON,
    Cards,
    decision_messages,
    handlers_of,
    messages_for,
    request_messages,
    work_key,
)
from bot.services import Services
from bot.texts import Raw
from bot.usecases import echo, mobile
from bot.usecases.asks import Asking, ask_above, decider_of
from bot.usecases.deadlines import Situation, with_deadline
from bot.usecases.results import Done, Refused, refuse
from storage.deadlines import Due, Known, Step
from storage.outbox import Outgoing
from storage.reports import StaleReport
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


async def submit(
    services: Services,
    *,
    reporter_id: int | None,
    entered_by: int | None,
    category: str,
    unit: str,
    description: str,
    photos: list[str] | tuple[str, ...],
    contact: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    clear_draft_of: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Report:
    """Routes and stores a new report with its first event and every notice, in one commit.

    One unit of work: the report row, its photos and first event, the notices (they need the
    case number), the draft cleared. Called inside an outer transaction it joins it, so the
    caller's own writes (care's visit and patrol links) and the report commit or roll back
    together.
    """
    async with services.store.transaction() as tx:
        return await _submit(
            services,
            tx,
            reporter_id=reporter_id,
            entered_by=entered_by,
            category=category,
            unit=unit,
            description=description,
            photos=photos,
            contact=contact,
            lat=lat,
            lon=lon,
            clear_draft_of=clear_draft_of,
            extra=extra,
        )


async def _submit(
    services: Services,
    tx: UnitOfWork,
    *,
    reporter_id: int | None,
    entered_by: int | None,
    category: str,
    unit: str,
    description: str,
    photos: list[str] | tuple[str, ...],
    contact: str | None,
    lat: float | None,
    lon: float | None,
    clear_draft_of: int | None,
    extra: Mapping[str, Any] | None = None,
) -> Report:
    now = services.clock()
    tree = await tx.units.tree()
    category_info = await tx.units.category(category)
    if (extra or {}).get("anonymous") and not (
        reporter_id is not None and category_info is not None and category_info.anonymous
    ):  # the flow offers it only then (handlers/reports/submit_prompts.may_be_anonymous)
        raise ValueError("an anonymous report must be a resident's own, of a category allowing it")
    along = await tx.people.along(tree, unit)
    target = route(
        unit,
        category,
        tree,
        along,
        start_level=category_info.route_level if category_info else None,
    )
    report = Report(
        reporter_id=reporter_id,
        entered_by=entered_by,
        category=category,
        unit=unit,
        description=description,
        photos=tuple(photos),
        created_at=now,
        updated_at=now,
        holder_unit=target.unit,
        tier=target.tier,
        assignee_id=target.assignee.user_id if target.assignee else None,
        contact=contact,
        lat=lat,
        lon=lon,
        extra=dict(extra or {}),  # e.g. {"source": "open311"}: where it came from
    )
    if category_info and category_info.verify and checks.verifiers(report, tree, along):
        report = checks.held_for_check(report, tree)  # 核实 before it is dispatched
    event = domain.submit(report, actor_id=entered_by or reporter_id, at=now)

    report = await with_deadline(services, report, event)  # the holder's accept clock

    stored = await tx.reports.insert(report, event)
    await tx.outbox.send(
        await messages_for(services, stored, event)
        # 楼栋长 / 单元长: a card for information (1+1+1+N teams)
        + await team_notices.building_cards(services, stored, tree, along),
        event.at,
    )
    if clear_draft_of is not None:
        await tx.drafts.clear(clear_draft_of, event.at)
    return stored


async def save_move(
    services: Services,
    before: Report,
    after: Report,
    event: ReportEvent,
    *,
    clear_draft_of: int | None = None,
    extra: Sequence[Outgoing] = (),
) -> Report:
    """Stores a move made on BEFORE (compare-and-set on its version) with every notice it causes.

    EXTRA messages (a reply to whoever made the move) go into the same commit.
    Raises storage.reports.StaleReport if someone else changed the report meanwhile.
    """
    after = await with_deadline(services, after, event)  # the clock the new status runs
    messages = await messages_for(services, after, event) + list(extra)
    async with services.store.transaction() as tx:
        stored = await tx.reports.save(
            after, event, messages, expect_version=before.version, clear_draft_of=clear_draft_of
        )
        await mobile.award_report(services, tx, stored, event)  # 流动网格员's points
    return stored


# A staff member's move on a report: re-authorised against the database, one commit -------------


@dataclass(frozen=True, slots=True)
class Handling:
    """A report that BY's staff record may act on now."""

    report: Report
    staff: Staff


StaffMove = Callable[[Report, Staff], tuple[Report, ReportEvent]]


class MoveRefused(Exception):
    """Raised by a move that cannot be made for a reason the presser is told (a catalog KEY)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def invalid(report: Report) -> Refused:
    """The move does not fit the report's status: worker.invalid (the handler names the status)."""
    return Refused("worker.invalid", {"number": report.number, "status": report.status})


async def check(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    action: Action | None = None,
    attempted: str | None = None,
) -> Done[Handling] | Refused:
    """Re-authorises BY on REPORT_ID now (access.handle_report) and, with ACTION, that the
    report's status allows it.

    Refused: worker.forged (no such report), worker.moved_on (BY held its card: it moved on) or
    worker.not_allowed, both recorded for /audit as ATTEMPTED ("report:<verb>"), worker.invalid.
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("worker.forged")
    staff = await services.people.staff(by)
    rule = access.handle_report(staff, report, await services.units.tree())
    if rule is not None or staff is None:
        had_card = staff is not None and by in await services.outbox.card_chats(work_key(report))
        key = "worker.moved_on" if had_card else "worker.not_allowed"
        verb = action.value if action is not None else "card"
        return await refuse(
            services,
            by,
            rule or Rule.REPORT_HANDLE,
            f"report:{report.id}",
            attempted or f"report:{verb}",
            at=at,
            key=key,
            number=report.number,
        )
    if action is not None:
        try:
            domain.check(report, action)
        except InvalidTransition:
            return invalid(report)
    return Done(Handling(report, staff))


async def move(
    services: Services,
    report_id: int | None,
    make: StaffMove,
    *,
    by: int,
    at: datetime,
    clear_draft: bool = False,
    attempted: str | None = None,
) -> Done[Report] | Refused:
    """Re-authorises BY, makes MAKE(report, staff) and stores it with every notice
    (compare-and-set on the version read); CLEAR_DRAFT ends BY's flow in the same commit.

    Refused: as `check`, worker.stale (someone else moved it first), or a MoveRefused's key.
    """
    checked = await check(services, report_id, by=by, at=at, attempted=attempted)
    if isinstance(checked, Refused):
        return checked
    report, staff = checked.value.report, checked.value.staff
    try:
        after, event = make(report, staff)
        stored = await save_move(
            services, report, after, event, clear_draft_of=by if clear_draft else None
        )
    except InvalidTransition:
        return invalid(report)
    except StaleReport:
        return Refused("worker.stale", {"number": report.number})
    except MoveRefused as refused:
        return Refused(refused.key, {"number": report.number})
    return Done(stored)


async def accept(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    attempted: str = "report:accept",
) -> Done[Report] | Refused:
    """接单: the report becomes BY's and is in progress."""
    return await move(
        services,
        report_id,
        lambda report, staff: domain.accept(report, staff, at),
        by=by,
        at=at,
        attempted=attempted,
    )


async def resolve(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    photo: str,
    note: str,
    more_photos: Sequence[str] = (),
    album: bool = False,
    clear_draft: bool = True,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """办结: BY resolves the report with the required after-photo(s) and a note (typed or sent:
    ATTEMPTED names the input for /audit). Refused (callin.parts_open) while a party called in
    has not finished (吹哨报到: bot/usecases/callins.py). A category that requires 复查 is
    resolved into REVIEWING (bot/domain/checks.py): the reporter is asked only after review."""
    waits = await after_callins(services, report_id)
    reviewed = {c.code for c in await services.units.categories() if c.review}  # 复查

    def resolved(report: Report, staff: Staff) -> tuple[Report, ReportEvent]:
        review = report.category in reviewed
        return domain.resolve(
            report,
            staff,
            at,
            photo=photo,
            note=note,
            more_photos=more_photos,
            album=album,
            review=review,
        )

    return await move(
        services,
        report_id,
        waits(resolved),
        by=by,
        at=at,
        clear_draft=clear_draft,
        attempted=attempted,
    )


async def add_after_photos(
    services: Services, report_id: int, *, by: int, photos: Sequence[str]
) -> Done[Report] | Refused:
    """Adds the rest of an album to the after-photos of the report BY has just resolved (the
    first photo resolved it). Refused (worker.not_allowed) once it is no longer BY's to add to:
    the reporter answered, or someone else holds it."""
    report = await services.reports.get(report_id)
    staff = await services.people.staff(by)
    if report is None or staff is None:
        return Refused("worker.not_allowed", {"number": ""})
    try:
        after = domain.add_after_photos(report, staff, photos, services.settings.reports.max_photos)
    except domain.NotAllowed:
        return Refused("worker.not_allowed", {"number": report.number})
    changed = after.more_after_photos != report.more_after_photos
    if changed and not await services.reports.add_after_photos(after):
        return Refused("worker.not_allowed", {"number": report.number})
    return Done(after)


async def after_callins(
    services: Services, report_id: int | None
) -> Callable[[StaffMove], StaffMove]:
    """Returns what makes a closing move wait for the parties called in (首问责任制): while a
    call-in is live the move is refused with callin.parts_open.

    The report's version is read before the call-ins: a call-in commits with a bump of that
    version (storage/callins.py claim_report), so one made after this read makes the move
    stale (worker.stale) instead of slipping past the check.
    """
    before = await services.reports.get(report_id) if report_id is not None else None
    parts_open = await services.store.callins.live_count(report_id) if report_id else 0

    def waits(make: StaffMove) -> StaffMove:
        def guarded(report: Report, staff: Staff) -> tuple[Report, ReportEvent]:
            if parts_open:
                raise MoveRefused("callin.parts_open")
            if before is not None and report.version != before.version:
                raise MoveRefused("worker.stale")
            return make(report, staff)

        return guarded

    return waits


MAX_TARGETS = 40  # staff offered for a transfer (Telegram allows 100 buttons per keyboard)


async def transfer_targets(services: Services, report: Report, *, by: int) -> list[Staff]:
    """Whom BY may hand REPORT to: staff of the same and sibling units (not BY, not its holder)."""
    return transfer_targets_of(
        report.holder_unit,
        await services.units.tree(),
        await services.people.all_staff(),
        presser=by,
        assignee=report.assignee_id,
    )[:MAX_TARGETS]


async def transfer(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    to_user: int,
    at: datetime,
    attempted: str = "report:transfer_to",
) -> Done[Report] | Refused:
    """转派: hands the report to TO_USER if they are still one of its transfer targets."""
    report = await services.reports.get(report_id) if report_id is not None else None
    targets = await transfer_targets(services, report, by=by) if report is not None else []
    target = next((s for s in targets if s.user_id == to_user), None)
    if report is not None and target is None:
        checked = await check(services, report.id, by=by, at=at, attempted=attempted)
        if isinstance(checked, Refused):
            return checked
        return Refused("transfer.target_gone", {"number": report.number})

    def handed(report: Report, staff: Staff) -> tuple[Report, ReportEvent]:
        assert target is not None
        return domain.transfer(report, staff, target, at)

    return await move(services, report_id, handed, by=by, at=at, attempted=attempted)


async def refer_up(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    reason: str,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """上报: BY refers the report to the next tier that has staff; refer.top at the top."""
    tree, staff = await services.units.tree(), await services.people.all_staff()

    def referred(report: Report, by_staff: Staff) -> tuple[Report, ReportEvent]:
        target = refer_target(report.holder_unit, tree, staff, report.category)
        if target is None:
            raise MoveRefused("refer.top")
        return domain.refer_up(
            report,
            by_staff,
            at,
            to_unit=target.unit,
            tier=target.tier,
            assignee_id=target.assignee.user_id if target.assignee else None,
            reason=reason,
        )

    return await move(
        services, report_id, referred, by=by, at=at, clear_draft=True, attempted=attempted
    )


async def reject(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    reason: RejectReason,
    note: str,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """退回: BY closes the report as not ours / duplicate / invalid, with a note to the reporter.

    Refused (callin.parts_open) while a party called in has not finished, and with
    merge.reject_needs_approval where the tier above must approve it first
    (bot/usecases/duplicates.request_reject asks them)."""
    waits = await after_callins(services, report_id)
    tree, categories = await services.units.tree(), await services.units.categories()

    def rejected(report: Report, staff: Staff) -> tuple[Report, ReportEvent]:
        category = next((c for c in categories if c.code == report.category), None)
        if duplicates.reject_needs_approval(category, staff, report, tree):
            raise MoveRefused("merge.reject_needs_approval")
        return domain.reject(report, staff, at, reason=reason, note=note)

    return await move(
        services,
        report_id,
        waits(rejected),
        by=by,
        at=at,
        clear_draft=True,
        attempted=attempted,
    )


# The reporter's side: solved (stars, then an optional comment) or not solved -------------------

ReporterMove = Callable[[Report], tuple[Report, ReportEvent]]


async def _reporter_move(
    services: Services,
    report_id: int | None,
    make: ReporterMove,
    *,
    by: int,
    at: datetime,
    attempted: str,
    clear_draft: bool = False,
    extra: Sequence[Outgoing] = (),
) -> Done[Report] | Refused:
    """BY (the reporter, or whoever entered a 代报) makes MAKE(report); compare-and-set.

    Refused: common.not_allowed (no such report; or not theirs, recorded for /audit), or
    verify.not_now with the report's status now (the handler names it).
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("common.not_allowed")
    if (rule := access.verify_report(by, report)) is not None:
        return await refuse(services, by, rule, f"report:{report.id}", attempted, at=at)
    try:
        after, event = make(report)
        stored = await save_move(
            services,
            report,
            after,
            event,
            clear_draft_of=by if clear_draft else None,
            extra=extra,
        )
    except (InvalidTransition, StaleReport):
        fresh = await services.reports.get(report.id) if report.id is not None else None
        status = (fresh or report).status
        return Refused("verify.not_now", {"number": report.number, "status": status})
    return Done(stored)


async def verify(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    stars: int | None = None,
    comment: str | None = None,
    extra: Sequence[Outgoing] = (),
) -> Done[Report] | Refused:
    """Solved: with STARS (1–5) closes the resolved report; with COMMENT adds the reporter's
    comment to the closed one and ends their comment flow. EXTRA (a thank-you) joins the commit."""
    if comment is not None:
        text = comment
        return await _reporter_move(
            services,
            report_id,
            lambda report: domain.comment(report, by, at, text),
            by=by,
            at=at,
            attempted="message",
            clear_draft=True,
            extra=extra,
        )
    if stars is None or not 1 <= stars <= 5:
        return Refused("common.stale_button")
    rating = stars
    async with services.store.transaction() as tx:
        outcome = await _reporter_move(
            services,
            report_id,
            lambda report: domain.confirm(report, by, at, stars=rating),
            by=by,
            at=at,
            attempted="report:stars",
            extra=extra,
        )
        if isinstance(outcome, Done):  # the 回音壁 posts it, de-identified (bot/usecases/echo.py)
            await echo.schedule(tx, services, outcome.value, at)
    return outcome


async def reopen(
    services: Services, report_id: int | None, *, by: int, at: datetime
) -> Done[Report] | Refused:
    """Not solved: the report goes one tier up, on a new clock (at the top tier it stays)."""
    report = await services.reports.get(report_id) if report_id is not None else None
    up = None
    if report is not None:
        tree = await services.units.tree()
        staff = await services.people.along(tree, report.holder_unit)
        up = refer_target(report.holder_unit, tree, staff, report.category)
    return await _reporter_move(
        services,
        report_id,
        lambda report: domain.reopen(report, by, at, up=up),
        by=by,
        at=at,
        attempted="report:unsolved",
    )


# 申请延期: the holder asks for more time; staff of a unit above decide --------------------------


async def extension_refused(
    services: Services, report: Report, *, by: int, at: datetime
) -> Refused | None:
    """Why BY cannot ask for more time on REPORT now (a refusal by access.ask_extension is
    recorded), or None. Keys: extension.not_open, not_holder, already_pending."""
    params = {"number": report.number, "status": report.status}
    if not report.status.is_open or report.due_at is None or report.timer is None:
        return Refused("extension.not_open", params)
    if (rule := access.ask_extension(await services.people.staff(by), report)) is not None:
        target = f"report:{report.id}"
        return await refuse(
            services, by, rule, target, "ext:ask", at=at, key="extension.not_holder", **params
        )
    if deadlines.pending_extension(report) is not None:
        return Refused("extension.already_pending", params)
    return None


def _new_due(situation: Situation, report: Report, at: datetime) -> datetime:
    """The deadline REPORT's pending request would give, if granted at AT."""
    pending = deadlines.pending_extension(report)
    assert pending is not None
    span = Span.parse(pending["span"])
    urgent = situation.is_urgent(report)
    return deadlines.extended_due(report, span, at, situation.rules, urgent=urgent)


async def request_extension(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    span: Span,
    reason: str,
) -> Done[Report] | Refused:
    """Records BY's request for SPAN more time (ASK_EXTENSION) with its cards to the deciders,
    and ends BY's extension flow, in one commit.

    Refused: extension.gone (the report moved on or BY may no longer ask), extension.nobody
    (no one above to decide), or the domain's ExtensionError key.
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("extension.gone", {"number": ""})
    gone = Refused("extension.gone", {"number": report.number})
    staff, asker = await services.people.staff(by), await services.people.get(by)
    if await extension_refused(services, report, by=by, at=at) or staff is None or asker is None:
        return gone

    async def messages(asking: Asking) -> list[Outgoing]:
        new_due = _new_due(await Situation.load(services), asking.after, at)
        return await request_messages(
            services,
            asking.after,
            asking.request,
            asking.deciders,
            asker,
            asking.unit,
            new_due=new_due,
        )

    return await ask_above(
        services,
        report,
        lambda: deadlines.ask_extension(report, staff, at, span, reason),
        messages,
        by=by,
        nobody="extension.nobody",
        gone=gone,
    )


async def decide_extension(
    services: Services,
    report_id: int | None,
    request_id: int | None,
    *,
    by: int,
    at: datetime,
    approve: bool,
) -> Done[Report] | Refused:
    """Approves (EXTEND: the deadline moves) or denies request REQUEST_ID, if BY may decide and
    it still waits. Refused: extension.not_allowed (recorded), extension.stale."""
    decider = await decider_of(
        services,
        report_id,
        request_id,
        by=by,
        at=at,
        ask=deadlines.EXTENSION,
        may_decide=access.decide_extension,
        rule=Rule.EXTENSION_DECIDE,
        attempted="ext:ok" if approve else "ext:no",
        not_allowed="extension.not_allowed",
        params=lambda report: {"number": report.number, "status": report.status},
    )
    if isinstance(decider, Refused):
        return decider
    report, staff, request_id = decider
    stale = Refused(deadlines.EXTENSION.stale)
    situation = await Situation.load(services)
    try:
        if approve:
            after, event = deadlines.approve_extension(
                report, staff, at, request_id, situation.rules, urgent=situation.is_urgent(report)
            )
        else:
            after, event = deadlines.deny_extension(report, staff, at, request_id)
    except (ExtensionError, InvalidTransition):
        return stale
    new_due = _new_due(situation, report, at)
    messages = await decision_messages(
        services, report, after, staff.name, approve, new_due=new_due
    )
    try:
        if approve:  # the deadline moved: cards and the reporter's status card show it
            stored = await save_move(services, report, after, event, extra=messages)
        else:
            stored = await services.reports.save(
                after, event, messages, expect_version=report.version
            )
    except StaleReport:
        return stale
    return Done(stored)


# Reads -----------------------------------------------------------------------------------------


def watched_units(staff: Staff, tree: UnitTree) -> list[str]:
    """Returns the units whose unassigned reports STAFF sees: theirs, and below for supervisors."""
    if not staff.role.is_supervisor:
        return [staff.unit]
    return [unit.code for unit in tree if tree.is_within(unit.code, staff.unit)]


async def open_reports_of(services: Services, user_id: int, *, limit: int = 500) -> list[Report]:
    """The open reports USER_ID (staff) may act on: theirs, and unassigned ones they may take,
    oldest first (/tasks). Empty for someone who is not staff."""
    staff = await services.people.staff(user_id)
    if staff is None:
        return []
    tree = await services.units.tree()
    found = await services.reports.open_for(user_id, watched_units(staff, tree), limit=limit)
    return [r for r in found if domain.may_handle(staff, r, tree)]


# The deadline sweep (限时办结): reminders, nags, escalation up the tiers, expiry -------------

BATCH = 200  # reports per transaction: short enough not to hold up people's presses
MAX_BATCHES = 100  # per pass (20,000 reports); anything beyond waits for the next pass


async def escalate_due(
    services: Services, now: datetime, *, limit: int = BATCH * MAX_BATCHES
) -> int:
    """Takes the one due deadline step of every due report (at most LIMIT reports); returns how
    many were taken.

    Each pass asks the database which reports are due through the partial index on
    next_action_at, decides ONE step per report (bot/domain/deadlines.decide: after downtime that
    is the most advanced step due, not a burst of stale ones) and writes the steps with
    compare-and-set (storage/deadlines.Deadlines.apply), each with its event and its messages,
    many reports per transaction: a second pass over the same moment finds nothing left to do.
    """
    repo = services.store.deadlines
    due = await repo.due(now, min(BATCH, limit))
    if not due:
        return 0  # the pass every 30 s that finds nothing: one index read
    pass_ = await _Pass.load(services)
    acted = 0
    left = limit
    while due:
        left -= len(due)
        batch = len(due)
        found = {r.id: r for r in await services.reports.get_many([d.report_id for d in due])}
        steps = await pass_.plan(due, found, now)
        applied = await repo.apply(steps, now)
        acted += applied.acted
        if batch < BATCH or applied.written == 0 or left <= 0:
            break
        due = await repo.due(now, min(BATCH, left))
    if acted:
        log.info("deadline sweep took %d steps", acted)
    return acted


class _Pass:
    """What one pass of the sweep reads once: the deadline situation, the cards, and a view of
    the store that answers each batch's reads from one read per batch (storage/deadlines.Known):
    a few statements per batch, not a dozen per report."""

    def __init__(self, services: Services, situation: Situation, known: Known[Any]) -> None:
        self.situation = situation
        self.known = known
        self.services = copy.copy(services)
        self.services.store = known.store
        self.services.people = known.people
        self.services.units = known.units
        self.services.outbox = known.outbox
        self.staff_people: Any = None
        self.cards: Cards | None = None
        self.audience = Audience(self.services)

    @classmethod
    async def load(cls, services: Services) -> _Pass:
        situation = await Situation.load(services)
        categories = await services.units.categories()
        known = Known(services.store, situation.staff, situation.tree, categories)
        made = cls(services, situation, known)
        repo = services.store.deadlines
        made.staff_people = await repo.around([], [s.user_id for s in situation.staff])
        made.cards = await Cards.load(made.services)
        return made

    async def plan(
        self, due: list[Due], found: Mapping[int | None, Report], now: datetime
    ) -> list[Step]:
        """Returns the step each of DUE needs (its report in FOUND), its messages rendered."""
        assert self.cards is not None
        named = {u for r in found.values() for u in (r.reporter_id, r.entered_by) if u}
        ids = [d.report_id for d in due if d.report_id in found]
        around = await self.services.store.deadlines.around(ids, sorted(named))
        self.known.know(ids, around.and_people(self.staff_people))
        steps = []
        for item in due:
            report = found.get(item.report_id)
            if report is None:
                continue
            step = await _plan(
                self.services, self.situation, self.cards, self.audience, item, report, now
            )
            if step is not None:
                steps.append(step)
        return steps


async def _plan(
    services: Services,
    situation: Situation,
    cards: Cards,
    audience: Audience,
    due: Due,
    report: Report,
    now: datetime,
) -> Step | None:
    """Returns the step REPORT needs at NOW (with its event and messages), or None."""
    up = situation.escalation(report)
    urgent = situation.is_urgent(report)
    can_escalate = situation.can_escalate(report)
    decision = deadlines.decide(
        report, now, situation.rules, urgent=urgent, can_escalate=can_escalate
    )
    if decision is None:
        return None
    step = Step(due, report.version, report, before=report)
    if decision.do is Do.STOP:
        return replace(step, after=replace(report, timer=None))
    if decision.do is Do.RESTART:
        window = WINDOW_OF[report.status]
        started = deadlines.start(
            report, window, now, situation.rules, urgent=urgent, can_escalate=can_escalate
        )
        return replace(step, after=started)
    if decision.do is Do.WAIT:
        return replace(step, after=replace(report, timer=decision.timer))
    if decision.do in (Do.REMIND, Do.NAG):
        assert decision.timer is not None
        after, event = deadlines.reminder(report, decision.do, decision.timer, now)
        then = up if not report.status.is_gated else None
        messages = await _nag_messages(services, cards, audience, after, decision.do, then)
        return replace(step, after=after, event=event, messages=messages)
    if decision.do is Do.ESCALATE and report.status is Status.CHECKING:
        after, event = checks.lapse_check(report, now, situation.dispatch(report))
    elif decision.do is Do.ESCALATE and report.status is Status.REVIEWING:
        to_unit = situation.review_above(report)
        assert to_unit is not None
        after, event = checks.escalate_review(report, now, to_unit)
    elif decision.do is Do.ESCALATE:
        assert up is not None
        after, event = domain.refer_up(
            report,
            None,
            now,
            to_unit=up.unit,
            tier=up.tier,
            assignee_id=up.assignee.user_id if up.assignee else None,
            reason=None,
            action=Action.ESCALATE,
        )
    else:  # Do.EXPIRE
        after, event = domain.move(report, Action.EXPIRE, actor_id=None, at=now)
    after = situation.after_move(after, event)
    return replace(
        step, after=after, event=event, messages=await messages_for(services, after, event)
    )


class Audience:
    """Who holds a report and in which language, remembered for one pass (many share holders)."""

    def __init__(self, services: Services):
        self.services = services
        self._known: dict[tuple[Any, ...], list[tuple[Staff, str]]] = {}

    async def of(self, report: Report) -> list[tuple[Staff, str]]:
        key: tuple[Any, ...] = (report.assignee_id, report.holder_unit, report.category)
        if report.status.is_gated:  # 核实 / 复查: its verifiers or reviewers instead
            extra = report.extra
            key += (report.status, report.unit, extra.get("review_at"), extra.get("resolver"))
        if key not in self._known:
            staff = await handlers_of(self.services, report)
            langs = await self.services.people.languages(s.user_id for s in staff)
            default = self.services.settings.default_language
            self._known[key] = [(s, langs.get(s.user_id, default)) for s in staff]
        return self._known[key]


async def _nag_messages(
    services: Services,
    cards: Cards,
    audience: Audience,
    report: Report,
    do: Do,
    up: Route | None,
) -> list[Outgoing]:
    """Returns the reminder or nag to whoever holds REPORT, in their languages."""
    timer = report.timer
    assert timer is not None and report.due_at is not None
    kind = "remind" if do is Do.REMIND else "overdue"
    window = "accept" if timer.window is Window.ACCEPT else "resolve"
    prefix = "nag."
    if timer.window in (Window.CHECK, Window.REVIEW):  # 核实 / 复查 (bot/locales/*/verify.toml)
        prefix, window = "verify.nag_", timer.window.value
    out = []
    rendered: dict[str, tuple[str, dict]] = {}  # by language: the same for every holder
    for staff, lang in await audience.of(report):
        if lang not in rendered:
            then = ""
            if do is Do.NAG and up is not None and timer.breach_at is not None:
                tier = f"{TIER_ICON[up.tier.value]} " + services.texts(
                    f"tier.{up.tier.value}", lang
                )
                then = services.texts(
                    "nag.then_escalate", lang, at=cards.when(timer.breach_at), tier=tier
                )
            text = services.texts(
                f"{prefix}{kind}_{window}",
                lang,
                number=report.number,
                category=cards.category_name(report.category, lang),
                due=cards.when(report.due_at),
                then=Raw(then),
            )
            show = key(services.texts("nag.show", lang), "report", "card", report.id)
            rendered[lang] = (text, keyboard([[show]]))
        text, markup = rendered[lang]
        out.append(outgoing.message(staff.user_id, text, markup=markup))
    return out
