"""回音壁 use cases: the reporter's photo consent, and posting closed, verified cases (the sweep).

The verify commit (bot/usecases/reports.verify) marks a rated case due; the `echo` sweep renders
it from the database as it stands at posting time — so a reporter erased meanwhile is posted
without photos — and marks it posted in the commit that queues the post (compare-and-set), so a
case is posted once however often the bot restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.domain import access
from bot.domain import echo as domain
from bot.domain.reports import Report, Status
from bot.notices import echo as notices
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def is_on(services: Services) -> bool:
    """Tells whether the office configured a 回音壁 channel."""
    return services.settings.echo.channel is not None


async def consent(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    allow: bool,
    extra: Sequence[Outgoing] = (),
) -> Done[Report] | Refused:
    """Records the reporter's answer to "may we show your photos?" on the resolved report, with
    EXTRA (the next question) in the same commit."""
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None or report.id is None:
        return Refused("common.not_allowed")
    if (rule := access.verify_report(by, report)) is not None:
        return await refuse(services, by, rule, f"report:{report.id}", "echo:photos", at=at)
    if report.status is not Status.RESOLVED:
        return Refused("verify.not_now", {"number": report.number, "status": report.status})
    async with services.store.transaction() as tx:
        await tx.echo.set_photos(report.id, allow, at)
        await tx.outbox.send(list(extra), at)
    return Done(report)


async def schedule(tx: UnitOfWork, services: Services, report: Report, at: datetime) -> None:
    """Inside the verify commit: marks a closed, verified REPORT to be posted (if a channel is
    configured)."""
    if is_on(services) and report.id is not None and domain.is_postable(report):
        await tx.echo.schedule(report.id, at)


async def post_due(services: Services, *, at: datetime) -> int:
    """Posts the cases waiting for the channel, one commit each; returns how many were posted."""
    channel = services.settings.echo.channel
    if channel is None:
        return 0
    posted = 0
    tree = await services.units.tree()
    categories = {c.code: c for c in await services.units.categories()}
    lang = services.settings.default_language
    for report_id in await services.store.echo.due(at, services.settings.echo.batch):
        report = await services.reports.get(report_id)
        if report is None or not domain.is_postable(report):
            messages: list[Outgoing] = []  # nothing to show (reopened cases are never due)
        else:
            reporter = await services.people.get(report.reporter_id) if report.reporter_id else None
            post = domain.compose(
                report,
                tree,
                photos_allowed=await services.store.echo.photos_allowed(report_id),
                terms=[reporter.name, reporter.phone] if reporter else [],
                marker=services.texts("echo.hidden", lang),
            )
            messages = notices.post_messages(
                services.texts, lang, channel, post, categories.get(report.category)
            )
        async with services.store.transaction(completes_update=False) as tx:
            if await tx.echo.post(report_id, messages, at):
                posted += 1 if messages else 0
    if posted:
        log.info("echo channel: %d case(s) posted", posted)
    return posted
