"""Submitting a report and saving a move: the two writes every report feature goes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiosqlite

from bot.domain import reports as domain
from bot.domain.reports import Report, ReportEvent
from bot.domain.routing import route
from bot.notices.reports import messages_for
from bot.services import Services
from bot.usecases.deadlines import with_deadline
from storage.outbox import Outgoing


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
    hook: Callable[[aiosqlite.Connection, Report], Awaitable[Any]] | None = None,
) -> Report:
    """Routes and stores a new report with its first event and every notice, in one commit.

    HOOK(conn, stored report) runs inside that commit (e.g. a visit or a patrol finding linked
    to the report); if it raises, nothing is stored.
    """
    now = services.clock()
    tree = await services.units.tree()
    category_info = await services.units.category(category)
    target = route(
        unit,
        category,
        tree,
        await services.people.along(tree, unit),
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

    async def messages(stored: Report) -> list:
        return await messages_for(services, stored, event)

    return await services.reports.create(
        report, event, messages, clear_draft_of=clear_draft_of, hook=hook
    )


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
