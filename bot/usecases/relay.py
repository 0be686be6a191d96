"""Anonymous reports: the holder asks the reporter through the bot and the reporter answers
(issue 12 item 10). Each question and answer is a report event (ASK_REPORTER, REPORTER_REPLY),
stored with the messages it causes in one commit; the reporter's identity never reaches staff.

Who: a question comes from staff who may handle the report now (access.handle_report, as every
worker button); an answer only from the anonymous report's own reporter (access.reply_to_holder),
and goes to the staff who hold the case now (the assignee, or the unit's front-line staff)."""

from __future__ import annotations

from datetime import datetime

from bot.domain import access
from bot.domain import reports as domain
from bot.domain.reports import Action, InvalidTransition, Report
from bot.notices import relay
from bot.notices.reports import handlers_of
from bot.services import Services
from bot.usecases.reports import check
from bot.usecases.results import Done, Refused, refuse
from storage.reports import StaleReport


async def ask_reporter(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    text: str,
    attempted: str = "report:ask",
) -> Done[Report] | Refused:
    """Relays BY's question TEXT to the anonymous reporter of REPORT_ID; ends BY's flow.

    Refused: as reports.check, anonymous.not_anonymous (the reporter can be phoned: their number
    is on the card), worker.stale."""
    checked = await check(
        services, report_id, by=by, at=at, action=Action.ASK_REPORTER, attempted=attempted
    )
    if isinstance(checked, Refused):
        return checked
    report, staff = checked.value.report, checked.value.staff
    if not report.anonymous or report.reporter_id is None:
        return Refused("anonymous.not_anonymous", {"number": report.number})
    after, event = domain.ask_reporter(report, staff, at, text)
    langs = await services.people.languages([report.reporter_id, by])
    default = services.settings.default_language
    messages = [
        relay.question(services, report, langs.get(report.reporter_id, default), text),
        relay.relayed(services, by, langs.get(by, default), report.number),
    ]
    try:
        stored = await services.reports.save(
            after, event, messages, expect_version=report.version, clear_draft_of=by
        )
    except StaleReport:
        return Refused("worker.stale", {"number": report.number})
    return Done(stored)


async def reply_check(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    attempted: str = "report:reply",
) -> Done[Report] | Refused:
    """Re-authorises BY to answer on REPORT_ID now (its ↩️ reply button, and the answer itself).

    Refused: anonymous.gone (no such report), anonymous.not_yours (recorded for /audit),
    anonymous.closed (finished: nothing to answer any more)."""
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("anonymous.gone")
    rule = access.reply_to_holder(by, report)
    if rule is not None:
        target = f"report:{report.id}"
        return await refuse(services, by, rule, target, attempted, at=at, key="anonymous.not_yours")
    try:
        domain.check(report, Action.REPORTER_REPLY)
    except InvalidTransition:
        return Refused("anonymous.closed", {"number": report.number})
    return Done(report)


async def reply_to_holder(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    text: str,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """Relays the anonymous reporter's answer TEXT to the staff holding REPORT_ID; ends BY's flow.

    Refused: as reply_check, anonymous.stale (the case moved meanwhile: send it again)."""
    checked = await reply_check(services, report_id, by=by, at=at, attempted=attempted)
    if isinstance(checked, Refused):
        return checked
    report = checked.value
    after, event = domain.reporter_reply(report, by, at, text)
    holders = await handlers_of(services, report)
    langs = await services.people.languages([by, *(s.user_id for s in holders)])
    default = services.settings.default_language
    messages = [
        relay.answer(services, report, staff, langs.get(staff.user_id, default), text)
        for staff in holders
    ]
    messages.append(relay.relayed(services, by, langs.get(by, default), report.number))
    try:
        stored = await services.reports.save(
            after, event, messages, expect_version=report.version, clear_draft_of=by
        )
    except StaleReport:
        return Refused("anonymous.stale", {"number": report.number})
    return Done(stored)
