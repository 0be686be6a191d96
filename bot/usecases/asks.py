"""The holder asks the tier above, which approves or declines (bot/domain/asks.py): the steps
申请延期 (bot/usecases/reports.py request/decide_extension) and 退单 approval
(bot/usecases/duplicates.py request/decide_reject) share — finding the deciders and making the
request, and re-authorising a decider against the request still waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain import deadlines
from bot.domain.access import Decision, Rule
from bot.domain.asks import Ask, AskError
from bot.domain.people import Staff
from bot.domain.reports import Report, ReportEvent
from bot.domain.units import UnitTree
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing
from storage.reports import StaleReport


@dataclass(frozen=True)
class Asking:
    """A request made (AFTER, its EVENT with the request's number) and whom it goes to:
    DECIDERS, staff of UNIT (its name), the nearest staffed unit above the holder, or admins."""

    after: Report
    event: ReportEvent
    deciders: list[Staff]
    unit: str

    @property
    def request(self) -> int:
        return int(self.event.data["request"])


async def ask_above(
    services: Services,
    report: Report,
    make: Callable[[], tuple[Report, ReportEvent]],
    messages: Callable[[Asking], Awaitable[list[Outgoing]]],
    *,
    by: int,
    nobody: str,
    gone: Refused,
) -> Done[Report] | Refused:
    """Finds who decides on REPORT, makes BY's request (MAKE, the domain's ask) and stores it
    with its MESSAGES (the cards to the deciders, the asker's 'sent'), ending BY's flow, in one
    commit. Refused: NOBODY (no one above to decide) or the domain's AskError key, with the
    report's number; GONE if the report changed meanwhile."""
    tree = await services.units.tree()
    deciders = deadlines.extension_deciders(report, tree, await services.people.all_staff())
    if not deciders:
        return Refused(nobody, {"number": report.number})
    try:
        after, event = make()
    except AskError as refused:
        return Refused(refused.key, {"number": report.number})
    unit = tree.get(deciders[0].unit).name if deciders[0].unit in tree else ""
    out = await messages(Asking(after, event, deciders, unit))
    try:
        async with services.store.transaction():
            stored = await services.reports.save(
                after, event, out, expect_version=report.version, clear_draft_of=by
            )
    except StaleReport:
        return gone
    return Done(stored)


async def decider_of(
    services: Services,
    report_id: int | None,
    request_id: int | None,
    *,
    by: int,
    at: datetime,
    ask: Ask,
    may_decide: Callable[[Staff | None, Report, UnitTree], Decision],
    rule: Rule,
    attempted: str,
    not_allowed: str,
    params: Callable[[Report], Mapping[str, object]],
) -> tuple[Report, Staff, int] | Refused:
    """Returns report REPORT_ID, BY as staff and REQUEST_ID if MAY_DECIDE lets BY decide ASK's
    request REQUEST_ID and it still waits. Refused: NOT_ALLOWED with PARAMS of the report (the
    refusal, RULE where no other named one, recorded as ATTEMPTED), or ASK's stale key."""
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused(ask.stale)
    staff = await services.people.staff(by)
    refused = may_decide(staff, report, await services.units.tree())
    if refused is not None or staff is None:
        target = f"report:{report.id}"
        return await refuse(
            services,
            by,
            refused or rule,
            target,
            attempted,
            at=at,
            key=not_allowed,
            **params(report),
        )
    if request_id is None or not ask.waits(report, request_id):
        return Refused(ask.stale)
    return report, staff, request_id
