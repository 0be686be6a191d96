"""Volunteer use cases: registering (双报到 included), staff deciding on a registration, a worker
inviting a volunteer to help on a report and the volunteer's answer, and the monthly
leaderboard a volunteer group gets."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain import access
from bot.domain.access import Rule
from bot.domain.groups import Binding
from bot.domain.points import month_bounds, standings
from bot.domain.volunteers import InvalidMove, NotAllowed, Volunteer, decide, subtree
from bot.notices import outgoing
from bot.notices.volunteers import (
    decided_messages,
    deciders,
    decision_messages,
    invitation_messages,
    invite_answer_messages,
    lang_of,
    leaderboard_message,
    summary,
)
from bot.services import Services
from bot.texts import Raw
from bot.usecases.results import Done, Refused, refuse
from storage.volunteers import Invite


async def register(
    services: Services, volunteer: Volunteer, *, by: int, at: datetime, card: str
) -> Done[Volunteer]:
    """Stores BY's registration (VOLUNTEER's answers) as pending, turns the registration card
    CARD into "submitted" naming the unit whose staff decide, sends those staff the decision
    cards and ends BY's draft, in one commit. Registering again replaces the answers and waits
    for a new decision."""
    volunteer = replace(volunteer, user_id=by, created_at=at)
    lang = (await lang_of(services, [by]))[by]
    tree = await services.units.tree()
    details = Raw(summary(services, lang, volunteer, tree))
    reviewers = await deciders(services, volunteer)
    if reviewers:  # named: the unit whose staff get the decision card
        unit = tree.get(reviewers[0].unit).name
        text = services.texts("volunteer.submitted", lang, unit=unit, summary=details)
    else:
        text = services.texts("volunteer.submitted_staff", lang, summary=details)
    messages = [outgoing.card(by, card, text), *await decision_messages(services, volunteer)]
    async with services.store.transaction() as tx:
        await tx.volunteers.register(volunteer, at, messages)
        await tx.drafts.clear(by, at)
    return Done(volunteer)


async def decide_volunteer(
    services: Services, user_id: int, *, by: int, at: datetime, approve: bool
) -> Done[Volunteer] | Refused:
    """Staff member BY approves (or declines) USER_ID's pending registration: the volunteer is
    told and every decider's card closes naming BY, in one commit; once only.

    Refused: "common.stale_button" (no such registration), "common.not_allowed" (not staff of
    the volunteer's community or above: recorded), "volunteer.already_decided".
    """
    volunteer = await services.store.volunteers.get(user_id)
    if volunteer is None:
        return Refused("common.stale_button")
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    rule = access.decide_volunteer(staff, volunteer.unit, tree)
    if rule is not None or staff is None:
        action = "vol:ok" if approve else "vol:no"
        target = f"volunteer:{user_id}"
        return await refuse(services, by, rule or Rule.VOLUNTEER_DECIDE, target, action, at=at)
    try:
        after = decide(volunteer, staff, approve, at, tree)
    except NotAllowed:  # the rule above said yes; kept so the domain's own check stays honest
        return Refused("common.not_allowed")
    except InvalidMove:
        return Refused("volunteer.already_decided")
    messages = await decided_messages(services, after, staff)
    async with services.store.transaction() as tx:
        if not await tx.volunteers.decide(after, at, messages):
            return Refused("volunteer.already_decided")
    return Done(after)


async def invite_volunteer(
    services: Services, report_id: int, volunteer_id: int, *, by: int, at: datetime
) -> Done[Invite] | Refused:
    """Worker BY invites an approved volunteer to help on REPORT_ID: the volunteer gets the case
    (never the reporter's name or phone) with accept / decline, BY a note; once per volunteer
    and report.

    Refused: "common.stale_button" (no such report or approved volunteer),
    "common.not_allowed" (BY may not act on the report: recorded),
    "volunteer.report_not_open" (with {number}), "volunteer.already_invited" (with {name}).
    """
    report = await services.reports.get(report_id)
    if report is None:
        return Refused("common.stale_button")
    staff = await services.people.staff(by)
    rule = access.handle_report(staff, report, await services.units.tree())
    if rule is not None or staff is None:
        target = f"report:{report.id}"
        return await refuse(services, by, rule or Rule.REPORT_HANDLE, target, "vfind:inv", at=at)
    if not report.status.is_open:
        return Refused("volunteer.report_not_open", {"number": report.number})
    volunteer = await services.store.volunteers.get(volunteer_id)
    if volunteer is None or not volunteer.is_approved:
        return Refused("common.stale_button")
    async with services.store.transaction() as tx:
        made = await tx.volunteers.invite(report_id, volunteer.user_id, by, at, lambda _: [])
        if made is None:
            return Refused("volunteer.already_invited", {"name": volunteer.name})
        messages = await invitation_messages(services, made, report, volunteer, staff)
        await tx.outbox.send(messages, at)
    return Done(made)


async def answer_invitation(
    services: Services, invite_id: int, *, by: int, at: datetime, accept: bool
) -> Done[Invite] | Refused:
    """The invited volunteer BY accepts (or declines) INVITE_ID: their card closes and the
    worker who invited them is told (with BY's phone), in one commit; once only.

    Refused: "common.stale_button" (no such invitation), "common.not_allowed" (not the invited
    volunteer: recorded), "volunteer.already_answered".
    """
    made = await services.store.volunteers.get_invite(invite_id)
    if made is None:
        return Refused("common.stale_button")
    if (rule := access.answer_invite(by, made.volunteer_id)) is not None:
        action = "vfind:yes" if accept else "vfind:no"
        return await refuse(services, by, rule, f"invite:{made.id}", action, at=at)
    if made.status != "invited":
        return Refused("volunteer.already_answered")
    report = await services.reports.get(made.report_id)
    volunteer = await services.store.volunteers.get(by)
    if report is None or volunteer is None:  # erased since: nothing left to answer
        return Refused("common.stale_button")
    messages = await invite_answer_messages(services, made, report, volunteer, accept)
    async with services.store.transaction() as tx:
        if not await tx.volunteers.answer_invite(made.id, accept, at, messages):
            return Refused("volunteer.already_answered")
    return Done(replace(made, status="accepted" if accept else "declined"))


async def post_leaderboard(
    services: Services, binding: Binding, month: str, *, at: datetime
) -> Done[bool] | Refused:
    """Posts MONTH's standings (names masked) to the volunteer group of BINDING, exactly once
    per (group, month); a month with no verified work posts nothing but is decided all the
    same. Done(True) if something was posted.

    Refused: "common.stale_button" (the group's unit is no longer in the tree, or this month
    was decided already).
    """
    config = services.settings.volunteers
    tree = await services.units.tree()
    if binding.unit not in tree:
        return Refused("common.stale_button")
    start, end = month_bounds(month, services.tz)
    units = subtree(binding.unit, tree)
    totals = await services.store.points.totals(start, end, units)
    mobile = set(await services.store.points.members(units, config.mobile_team))
    boards = (  # the volunteers', then the 流动网格员's table of their own
        (
            "points.board",
            standings([t for t in totals if t[0] not in mobile], config.leaderboard_size),
        ),
        (
            "points.mobile_board",
            standings([t for t in totals if t[0] in mobile], config.leaderboard_size),
        ),
    )
    messages = [
        leaderboard_message(services, binding, month, table, tree, key=key)
        for key, table in boards
        if table
    ]
    async with services.store.transaction(completes_update=False) as tx:
        posted = await tx.points.post_leaderboard(
            binding.chat_id, binding.unit, month, at, messages
        )
    if not posted:
        return Refused("common.stale_button")
    return Done(bool(messages))
