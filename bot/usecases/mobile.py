"""流动网格员 (issue 12 item 11): delivery riders, couriers and other mobile members register as
volunteers of the office's mobile team (`[volunteers] mobile_team`; a community approves them as
any volunteer) and report anywhere like any resident. A report of theirs that staff resolve earns
them `[volunteers.points] report`, once per report, in the commit of the resolve; the monthly
leaderboard shows them in a table of their own (bot/usecases/volunteers.post_leaderboard)."""

from __future__ import annotations

from bot.domain.points import PointKind
from bot.domain.reports import Action, Report, ReportEvent, Status
from bot.domain.volunteers import is_mobile
from bot.services import Services
from storage.uow import UnitOfWork


async def award_report(
    services: Services, tx: UnitOfWork, report: Report, event: ReportEvent
) -> None:
    """Inside the resolve's (or the passed 复查's) transaction TX: awards the reporter of REPORT
    the report points if they are an approved 流动网格员 (never for 代报, followers, or a report
    returned or merged: only a resolve counts, and a second resolve after 👎 awards nothing)."""
    config = services.settings.volunteers
    if config.mobile_team is None or report.status is not Status.RESOLVED:
        return  # resolved and, where its category requires 复查, reviewed
    if event.action not in (Action.RESOLVE, Action.REVIEW_PASS):
        return
    if report.reporter_id is None or report.id is None:
        return
    if not is_mobile(await tx.volunteers.get(report.reporter_id), config.mobile_team):
        return
    await tx.points.award(
        report.reporter_id, PointKind.REPORT, report.id, config.points.report, event.at
    )
