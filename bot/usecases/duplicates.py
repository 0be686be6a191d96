"""并单 use cases: "me too" (follow), a follower's answer, merging a duplicate, and 退单 that
needs the tier above's approval (request_reject / decide_reject).

The rules are in bot/domain/duplicates.py; each use case re-authorises against the database,
then writes the report (compare-and-set on its version), its event, the followers rows and every
notice in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import access, duplicates
from bot.domain import reports as domain
from bot.domain.access import Rule
from bot.domain.categories import Category
from bot.domain.duplicates import Candidate, RejectRequestError
from bot.domain.people import Staff
from bot.domain.reports import InvalidTransition, RejectReason, Report, Status
from bot.domain.routing import refer_target
from bot.notices import outgoing
from bot.notices.reports import (
    reject_decision_messages,
    reject_request_messages,
)
from bot.services import Services
from bot.usecases import echo, reports
from bot.usecases.asks import ask_above, decider_of
from bot.usecases.reports import save_move
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing
from storage.reports import StaleReport

STAFF_RADIUS_M = 300  # how far around staff are shown reports to merge into, at least

# Me too ----------------------------------------------------------------------------------------


async def candidates(
    services: Services,
    *,
    category: str,
    unit: str,
    lat: float | None,
    lon: float | None,
    by: int,
) -> list[Candidate]:
    """The open reports BY might be about to report again, nearest first (none of BY's own)."""
    info = await services.units.category(category)
    if info is None or info.merge_radius_m <= 0:
        return []
    tree = await services.units.tree()
    point = (lat, lon) if lat is not None and lon is not None else None
    if point is None and unit in tree:
        here = tree.get(unit)
        point = (here.lat, here.lon) if here.lat is not None and here.lon is not None else None
    bounds = duplicates.box(point, info.merge_radius_m) if point else None
    found = await services.store.followers.open_alike(category, unit, bounds, excluding=by)
    return duplicates.nearby(found, category=info, unit=unit, point=point, tree=tree)


async def follow(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    extra: Sequence[Outgoing] = (),
) -> Done[Report] | Refused:
    """ "Me too": BY follows REPORT_ID instead of opening a new report; BY's report draft ends
    (its photos are dropped) in the same commit, with EXTRA (the answered prompt's edit).

    Refused: merge.follow_gone (no such report), a refusal by access.follow_report (recorded),
    merge.follow_closed / follow_own / follow_already, merge.follow_busy (it moved meanwhile:
    nothing was written, pressing again works).
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None or report.id is None:
        return Refused("merge.follow_gone")
    params = {"number": report.number}
    if (rule := access.follow_report(by, report)) is not None:
        target = f"report:{report.id}"
        return await refuse(
            services, by, rule, target, "newreport:metoo", at=at, key="merge.follow_own", **params
        )
    followers = [f.user_id for f in await services.store.followers.of(report.id)]
    if key := duplicates.follow_refusal(by, report, followers):
        return Refused(key, params)
    after, event = duplicates.follow(report, by, at)
    count = len(followers) + 1
    holders = await _holders_told(services, report, "merge.staff_followed", count=count)
    try:
        async with services.store.transaction() as tx:
            await tx.followers.add(report.id, [by], via="me_too", at=at)
            stored = await save_move(
                services, report, after, event, clear_draft_of=by, extra=[*extra, *holders]
            )
    except StaleReport:  # the report moved (or someone else followed) since it was read
        return Refused("merge.follow_busy", params)
    return Done(stored)


async def _holders_told(
    services: Services, report: Report, key: str, **params: object
) -> list[Outgoing]:
    """KEY to whoever holds REPORT now (in their languages)."""
    from bot.notices.reports import handlers_of

    staff = await handlers_of(services, report)
    langs = await services.people.languages(s.user_id for s in staff)
    default = services.settings.default_language
    return [
        outgoing.message(
            s.user_id,
            services.texts(key, langs.get(s.user_id, default), number=report.number, **params),
        )
        for s in staff
    ]


# A follower's answer when the report is resolved ----------------------------------------------


async def follower_answer(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    stars: int | None = None,
    solved: bool = True,
) -> Done[Report] | Refused:
    """A follower says solved (with STARS, kept as their own rating) or not solved.

    Not solved reopens a resolved report one tier up, as the reporter's would. Solved is recorded
    (a RATE event); when the reporter is gone, the first follower's stars close the report
    (CONFIRM) in their stead. Refused: a refusal by access.verify_as_follower (recorded),
    merge.answered (they rated already), verify.not_now with the status.
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None or report.id is None:
        return Refused("common.not_allowed")
    followers = await services.store.followers.of(report.id)
    if (rule := access.verify_as_follower(by, [f.user_id for f in followers])) is not None:
        verb = "follow:stars" if solved else "follow:unsolved"
        return await refuse(services, by, rule, f"report:{report.id}", verb, at=at)
    not_now = Refused("verify.not_now", {"number": report.number, "status": report.status})
    mine = next(f for f in followers if f.user_id == by)
    try:
        if not solved:
            if report.status is not Status.RESOLVED:
                return not_now
            tree = await services.units.tree()
            staff = await services.people.along(tree, report.holder_unit)
            up = refer_target(report.holder_unit, tree, staff, report.category)
            after, event = domain.reopen(report, by, at, up=up)
        else:
            if stars is None or not 1 <= stars <= 5:
                return Refused("common.stale_button")
            if mine.stars is not None:
                return Refused("merge.answered", {"number": report.number})
            gone = duplicates.reporter_gone(report) and report.status is Status.RESOLVED
            if gone:
                after, event = domain.confirm(report, by, at, stars=stars)
            else:
                after, event = duplicates.rate(report, by, at, stars=stars)
        thanks = outgoing.message(by, services.texts("verify.thanks", await _lang(services, by)))
        async with services.store.transaction() as tx:
            if solved and stars is not None:
                await tx.followers.rate(report.id, by, stars, at)
            stored = await save_move(
                services, report, after, event, extra=[thanks] if solved else []
            )
            if stored.status is Status.CLOSED:  # closed in the reporter's stead: the 回音壁
                await echo.schedule(tx, services, stored, at)  # posts it (no photos: no consent)
    except (InvalidTransition, StaleReport):
        fresh = await services.reports.get(report.id)
        return Refused(
            "verify.not_now", {"number": report.number, "status": (fresh or report).status}
        )
    return Done(stored)


async def _lang(services: Services, user_id: int) -> str:
    langs = await services.people.languages([user_id])
    return langs.get(user_id, services.settings.default_language)


async def follower_check(
    services: Services, report_id: int | None, *, by: int, at: datetime, attempted: str
) -> Done[Report] | Refused:
    """Re-checks that BY follows REPORT_ID and may still answer "is it solved?" (stars next).

    Refused: common.not_allowed (no such report; or not a follower, recorded), merge.answered,
    verify.not_now with the status."""
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None or report.id is None:
        return Refused("common.not_allowed")
    followers = await services.store.followers.of(report.id)
    if (rule := access.verify_as_follower(by, [f.user_id for f in followers])) is not None:
        return await refuse(services, by, rule, f"report:{report.id}", attempted, at=at)
    if any(f.user_id == by and f.stars is not None for f in followers):
        return Refused("merge.answered", {"number": report.number})
    if report.status not in (Status.RESOLVED, Status.CLOSED, Status.CLOSED_UNVERIFIED):
        return Refused("verify.not_now", {"number": report.number, "status": report.status})
    return Done(report)


# Merge -------------------------------------------------------------------------------------


async def merge_targets(
    services: Services, report: Report, *, by: int, limit: int = 8
) -> list[Candidate]:
    """Open reports of REPORT's category near it that BY may merge REPORT into, nearest first."""
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    info = await services.units.category(report.category)
    point = duplicates.point_of(report, tree)
    # Staff look wider than residents are offered: three times the radius, at least STAFF_RADIUS_M.
    radius = max(3 * (info.merge_radius_m if info else 0), STAFF_RADIUS_M)
    bounds = duplicates.box(point, radius) if point else None
    found = await services.store.followers.open_alike(
        report.category, report.unit, bounds, excluding=0, limit=100
    )
    near = duplicates.nearby(
        [r for r in found if r.id != report.id],
        category=Category(report.category, "", "", merge_radius_m=radius),
        unit=report.unit,
        point=point,
        tree=tree,
        limit=limit * 3,
    )
    return [c for c in near if duplicates.may_merge(staff, report, c.report, tree)][:limit]


async def merge(
    services: Services,
    duplicate_id: int | None,
    survivor_id: int | None,
    *,
    by: int,
    at: datetime,
    attempted: str = "merge:into",
) -> Done[Report] | Refused:
    """Closes DUPLICATE_ID as merged into SURVIVOR_ID: its reporter and followers follow the
    survivor and are told, both reports get their event, in one commit. Returns the survivor.

    Refused: merge.not_found (with the number asked for), a refusal by access.merge_reports
    (recorded), merge.into_itself / already_merged / duplicate_closed / survivor_closed,
    merge.parts_open (the duplicate has live call-ins), merge.stale (one of them moved
    meanwhile).
    """
    duplicate = await services.reports.get(duplicate_id) if duplicate_id is not None else None
    survivor = await services.reports.get(survivor_id) if survivor_id is not None else None
    if duplicate is None or survivor is None or duplicate.id is None or survivor.id is None:
        missing = duplicate_id if duplicate is None else survivor_id
        return Refused("merge.not_found", {"number": f"R{missing or 0:06d}"})
    params = {"number": duplicate.number, "survivor": survivor.number}
    if key := duplicates.merge_refusal(duplicate, survivor):
        status = (duplicate if key == "merge.duplicate_closed" else survivor).status
        return Refused(key, {**params, "status": status})
    staff = await services.people.staff(by)
    rule = access.merge_reports(staff, duplicate, survivor, await services.units.tree())
    if rule is not None or staff is None:
        return await refuse(
            services,
            by,
            rule or Rule.REPORT_MERGE,
            f"report:{duplicate.id}",
            attempted,
            at=at,
            key="merge.not_allowed",
            **params,
        )
    # A duplicate's live call-ins would leave parties working on a closed case: like 退回, the
    # merge waits for them (read after the report: a call-in bumps its version, so one made
    # meanwhile makes the merge stale).
    if await services.store.callins.live_count(duplicate.id):
        return Refused("merge.parts_open", params)
    try:
        async with services.store.transaction() as tx:
            people = await _people_of(services, duplicate)
            keep = {survivor.reporter_id, survivor.entered_by}
            known = {f.user_id for f in await tx.followers.of(survivor.id)}
            moving = [p for p in people if p not in keep and p not in known]
            await tx.followers.add(
                survivor.id, moving, via="merge", at=at, from_report=duplicate.id
            )
            (closed, on_dup), (kept, on_survivor) = duplicates.merge(
                duplicate, survivor, staff, at, moved=len(moving)
            )
            told = await _moved_notices(services, duplicate, survivor, people)
            await save_move(services, duplicate, closed, on_dup, extra=told)
            stored = await save_move(
                services,
                survivor,
                kept,
                on_survivor,
                extra=[
                    outgoing.message(
                        by,
                        services.texts(
                            "merge.done", await _lang(services, by), **params, moved=len(moving)
                        ),
                    )
                ],
            )
    except (StaleReport, InvalidTransition):
        return Refused("merge.stale", params)
    return Done(stored)


async def _people_of(services: Services, report: Report) -> list[int]:
    """The residents who follow REPORT's news: its reporter (or who entered a 代报 for someone
    without Telegram) and its followers."""
    assert report.id is not None
    first = report.reporter_id or report.entered_by
    people = [first] if first is not None else []
    return people + [f.user_id for f in await services.store.followers.of(report.id)]


async def _moved_notices(
    services: Services, duplicate: Report, survivor: Report, people: Sequence[int]
) -> list[Outgoing]:
    """Tells each of PEOPLE that DUPLICATE is closed into SURVIVOR."""
    langs = await services.people.languages(people)
    default = services.settings.default_language
    out = []
    for chat in people:
        lang = langs.get(chat, default)
        text = services.texts(
            "merge.moved", lang, number=duplicate.number, survivor=survivor.number
        )
        out.append(outgoing.message(chat, text))  # the survivor's card follows with its move
    return out


# 退单 that needs the tier above's approval -----------------------------------------------------


async def reject_needs_approval(services: Services, report: Report, staff: Staff) -> bool:
    """Tells whether STAFF's 退单 of REPORT must be approved by the tier above first."""
    category = await services.units.category(report.category)
    tree = await services.units.tree()
    return duplicates.reject_needs_approval(category, staff, report, tree)


async def reject_or_ask(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    reason: RejectReason,
    note: str,
    attempted: str = "message",
) -> Done[Report] | Refused:
    """退单 as the holder asked it: a request to the tier above where the report's category (or
    BY being a department) needs its approval (request_reject), else the reject itself
    (bot/usecases/reports.reject, which refuses to skip an approval all the same)."""
    report = await services.reports.get(report_id) if report_id is not None else None
    staff = await services.people.staff(by)
    if (
        report is not None
        and staff is not None
        and await reject_needs_approval(services, report, staff)
    ):
        return await request_reject(services, report_id, by=by, at=at, reason=reason, note=note)
    return await reports.reject(
        services, report_id, by=by, at=at, reason=reason, note=note, attempted=attempted
    )


async def reject_decider_check(
    services: Services, report_id: int | None, request_id: int | None, *, by: int, at: datetime
) -> Done[Report] | Refused:
    """Re-checks that BY may decide REPORT_ID's 退单 request REQUEST_ID and that it still waits
    (before BY is asked why it is declined). Refused as `decide_reject`."""
    decider = await _reject_decider(
        services, report_id, request_id, by=by, at=at, attempted="rejreq:no"
    )
    if isinstance(decider, Refused):
        return decider
    return Done(decider[0])


async def _reject_decider(
    services: Services,
    report_id: int | None,
    request_id: int | None,
    *,
    by: int,
    at: datetime,
    attempted: str,
) -> tuple[Report, Staff, int] | Refused:
    return await decider_of(
        services,
        report_id,
        request_id,
        by=by,
        at=at,
        ask=duplicates.REJECT,
        may_decide=access.decide_reject,
        rule=Rule.REJECT_DECIDE,
        attempted=attempted,
        not_allowed="merge.reject_not_allowed",
        params=lambda report: {"number": report.number},
    )


async def request_reject(
    services: Services,
    report_id: int | None,
    *,
    by: int,
    at: datetime,
    reason: RejectReason,
    note: str,
) -> Done[Report] | Refused:
    """Records BY's 退单 request (ASK_REJECT) with its cards to the deciders above the holder,
    and ends BY's reject flow, in one commit.

    Refused: merge.reject_gone (moved on, or BY no longer holds it; a refusal by
    access.ask_reject is recorded), callin.parts_open (parties called in are still at work),
    merge.reject_nobody, merge.reject_already_pending.
    """
    report = await services.reports.get(report_id) if report_id is not None else None
    if report is None:
        return Refused("merge.reject_gone", {"number": ""})
    gone = Refused("merge.reject_gone", {"number": report.number})
    staff, asker = await services.people.staff(by), await services.people.get(by)
    if not report.status.is_open or asker is None:
        return gone
    if await services.store.callins.live_count(report.id or 0):
        return Refused("callin.parts_open", {"number": report.number})
    if (rule := access.ask_reject(staff, report)) is not None or staff is None:
        await refuse(services, by, rule or Rule.REJECT_ASK, f"report:{report.id}", "message", at=at)
        return gone
    return await ask_above(
        services,
        report,
        lambda: duplicates.ask_reject(report, staff, at, reason=reason, note=note),
        lambda asking: reject_request_messages(
            services, asking.after, asking.request, asking.deciders, asker, asking.unit
        ),
        by=by,
        nobody="merge.reject_nobody",
        gone=gone,
    )


async def decide_reject(
    services: Services,
    report_id: int | None,
    request_id: int | None,
    *,
    by: int,
    at: datetime,
    approve: bool,
    why: str = "",
    attempted: str | None = None,
) -> Done[Report] | Refused:
    """Approves (the REJECT happens, made by BY) or declines (with WHY; the holder keeps it)
    request REQUEST_ID, if BY may decide and it still waits; BY's flow ends in the same commit.

    Refused: merge.reject_not_allowed (recorded), merge.reject_stale, merge.reject_parts_open
    (an approval while parties called in are still at work; the request keeps waiting).
    """
    decider = await _reject_decider(
        services,
        report_id,
        request_id,
        by=by,
        at=at,
        attempted=attempted or ("rejreq:ok" if approve else "rejreq:no"),
    )
    if isinstance(decider, Refused):
        return decider
    report, staff, request_id = decider
    stale = Refused(duplicates.REJECT.stale)
    if approve and await services.store.callins.live_count(report.id or 0):
        # called in after the request: 退回 waits for the parties, approved or not
        return Refused("merge.reject_parts_open", {"number": report.number})
    try:
        if approve:
            after, event = duplicates.approve_reject(report, staff, at, request_id)
        else:
            after, event = duplicates.decline_reject(report, staff, at, request_id, why=why)
        messages = await reject_decision_messages(services, report, staff.name, approve, why)
        async with services.store.transaction():
            if approve:  # the reporter, followers and holders are told as for any 退回
                stored = await save_move(
                    services, report, after, event, extra=messages, clear_draft_of=by
                )
            else:
                stored = await services.reports.save(
                    after, event, messages, expect_version=report.version, clear_draft_of=by
                )
    except (RejectRequestError, InvalidTransition, StaleReport):
        return stale
    return Done(stored)
