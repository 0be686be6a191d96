"""核实 and 复查 use cases: a verifier confirms or dismisses a new report, a reviewer passes or
fails a resolved one (bot/domain/checks.py). Each re-reads the report, re-authorises the presser
(access.check_report / access.review_report) and saves the move like any other
(bot/usecases/reports.save_move: the clock, the event and every notice in one commit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain import access, checks
from bot.domain.access import Rule
from bot.domain.checks import CheckError
from bot.domain.people import Role, Staff
from bot.domain.reports import InvalidTransition, Report, ReportEvent, Status
from bot.domain.routing import route
from bot.domain.units import UnitTree
from bot.services import Services
from bot.usecases.reports import save_move, watched_units
from bot.usecases.results import Done, Refused, refuse
from storage.reports import StaleReport

CheckMove = Callable[[Report, Staff, UnitTree], tuple[Report, ReportEvent]]


async def _authorise(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    status: Status,
    attempted: str,
) -> tuple[Report, Staff, UnitTree] | Refused:
    """Re-reads the report and checks it still waits in STATUS and that BY may act on it now.

    Refused: verify.gone (no such report), verify.done (it no longer waits: another press won or
    the clock moved it on; the handler names its status), verify.own_work (BY resolved or holds
    it: never their own review), verify.not_verifier / verify.not_reviewer (recorded for /audit).
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("verify.gone")
    if report.status is not status:
        return Refused("verify.done", {"number": report.number, "status": report.status})
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    if status is Status.CHECKING:
        rule, key = access.check_report(staff, report, tree), "verify.not_verifier"
    else:
        rule, key = access.review_report(staff, report, tree), "verify.not_reviewer"
        if by in (checks.resolver_of(report), report.assignee_id):
            key = "verify.own_work"
    if rule is not None or staff is None:
        return await refuse(
            services,
            by,
            rule or Rule.REPORT_CHECK,
            f"report:{report.id}",
            attempted,
            at=at,
            key=key,
            number=report.number,
        )
    return report, staff, tree


async def _gated_move(
    services: Services,
    report_id: int | None,
    make: CheckMove,
    *,
    by: int,
    at: datetime,
    status: Status,
    attempted: str,
    clear_draft: bool = False,
) -> Done[Report] | Refused:
    """Saves MAKE's move on the report waiting in STATUS, if BY may make it (`_authorise`),
    with every notice (compare-and-set on the version read)."""
    authorised = await _authorise(
        services, report_id, by=by, at=at, status=status, attempted=attempted
    )
    if isinstance(authorised, Refused):
        return authorised
    report, staff, tree = authorised
    try:
        after, event = make(report, staff, tree)
        stored = await save_move(
            services, report, after, event, clear_draft_of=by if clear_draft else None
        )
    except (InvalidTransition, CheckError, StaleReport):
        fresh = await services.reports.get(report.id) if report.id is not None else None
        status_now = (fresh or report).status
        return Refused("verify.done", {"number": report.number, "status": status_now})
    return Done(stored)


async def confirm_check(
    services: Services, report_id: int | None, *, by: int, at: datetime
) -> Done[Report] | Refused:
    """核实 confirmed: the report is routed and dispatched as a new report is."""
    tree = await services.units.tree()
    report = await services.reports.get(report_id) if report_id is not None else None
    target = None
    if report is not None:
        category = await services.units.category(report.category)
        target = route(
            report.unit,
            report.category,
            tree,
            await services.people.along(tree, report.unit),
            start_level=category.route_level if category else None,
        )

    def confirmed(report: Report, staff: Staff, tree: UnitTree) -> tuple[Report, ReportEvent]:
        assert target is not None
        return checks.confirm_check(report, staff, at, target, tree)

    return await _gated_move(
        services,
        report_id,
        confirmed,
        by=by,
        at=at,
        status=Status.CHECKING,
        attempted="check:ok",
    )


async def dismiss_check(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    note: str,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """核实: not a problem. The report closes as rejected with NOTE; BY's note flow ends."""
    return await _gated_move(
        services,
        report_id,
        lambda report, staff, tree: checks.dismiss_check(report, staff, at, note, tree),
        by=by,
        at=at,
        status=Status.CHECKING,
        attempted=attempted,
        clear_draft=True,
    )


async def pass_review(
    services: Services, report_id: int | None, *, by: int, at: datetime
) -> Done[Report] | Refused:
    """复查 passed: the reporter is asked to verify, as after any resolve."""
    return await _gated_move(
        services,
        report_id,
        lambda report, staff, tree: checks.pass_review(report, staff, at, tree),
        by=by,
        at=at,
        status=Status.REVIEWING,
        attempted="review:ok",
    )


async def fail_review(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    note: str,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """复查 failed: back to its holder with NOTE, on a new resolve clock; BY's flow ends."""
    return await _gated_move(
        services,
        report_id,
        lambda report, staff, tree: checks.fail_review(report, staff, at, note, tree),
        by=by,
        at=at,
        status=Status.REVIEWING,
        attempted=attempted,
        clear_draft=True,
    )


async def may_act(
    services: Services, report_id: int | None, *, by: int, at: datetime, status: Status
) -> Done[Report] | Refused:
    """Whether BY may make REPORT_ID's check (STATUS CHECKING) or review (REVIEWING) now, before
    they are asked for a note: the move's own refusals (recorded likewise)."""
    attempted = "check:no" if status is Status.CHECKING else "review:no"
    authorised = await _authorise(
        services, report_id, by=by, at=at, status=status, attempted=attempted
    )
    if isinstance(authorised, Refused):
        return authorised
    return Done(authorised[0])


async def waiting_for(services: Services, user_id: int, *, limit: int = 200) -> list[Report]:
    """The reports waiting for USER_ID's 核实 or 复查, oldest first (/tasks)."""
    staff = await services.people.staff(user_id)
    if staff is None:
        return []
    tree = await services.units.tree()
    units = set(watched_units(staff, tree))
    if staff.unit in tree:
        units.update(u.code for u in tree.chain(staff.unit))
    if staff.role is Role.ADMIN:
        units = {u.code for u in tree}
    found = await services.reports.gated_at(sorted(units), limit=limit)
    return [
        r for r in found if checks.may_check(staff, r, tree) or checks.may_review(staff, r, tree)
    ]
