"""Submitting a report and saving a move: the two writes every report feature goes through."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import reports as domain
from bot.domain.reports import Report, ReportEvent
from bot.domain.routing import route
from bot.notices.reports import messages_for
from bot.services import Services
from bot.usecases.deadlines import with_deadline
from storage.outbox import Outgoing
from storage.reports import ReportHook
from storage.uow import UnitOfWork


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
    hook: ReportHook | None = None,
) -> Report:
    """Routes and stores a new report with its first event and every notice, in one commit.

    One unit of work: the report row, its photos and first event, the notices (they need the
    case number), the draft cleared. Called inside an outer transaction it joins it, so the
    caller's own writes and the report commit or roll back together. HOOK(conn, stored report)
    runs inside that commit (care's visit and patrol links); if it raises, nothing is stored.
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
            hook=hook,
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
    hook: ReportHook | None,
) -> Report:
    now = services.clock()
    tree = await tx.units.tree()
    category_info = await tx.units.category(category)
    target = route(
        unit,
        category,
        tree,
        await tx.people.along(tree, unit),
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
    )
    event = domain.submit(report, actor_id=entered_by or reporter_id, at=now)

    report = await with_deadline(services, report, event)  # the holder's accept clock

    stored = await tx.reports.insert(report, event)
    if hook is not None:
        await tx.reports.run_hook(hook, stored)
    await tx.outbox.send(await messages_for(services, stored, event), event.at)
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
    return await services.reports.save(
        after, event, messages, expect_version=before.version, clear_draft_of=clear_draft_of
    )
