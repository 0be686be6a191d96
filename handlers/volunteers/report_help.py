"""A worker's "find volunteers" for a report: nearby volunteers with matching skills, invited.

Callbacks: "vfind:list:<report>" shows the matches, "vfind:inv:<report>:<volunteer>" invites
one, "vfind:yes|no:<invite>" is the volunteer's answer. The worker must be able to act on the
report (re-checked on every press); the volunteer sees the case and the worker to contact,
never the reporter's name or phone.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.access import Rule
from bot.domain.people import Person, Staff
from bot.domain.reports import Report
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import (
    availability_names,
    matching_volunteers,
    skill_names,
    team_name,
)
from bot.services import Services
from bot.texts import Raw
from bot.usecases.results import Done, Refused
from bot.usecases.volunteers import answer_invitation, invite_volunteer
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import deny
from handlers.kit.reply import tell
from handlers.volunteers.common import render
from storage.outbox import Outgoing
from storage.volunteers import Invite


def skills_for(services: Services, report: Report) -> list[str]:
    """Returns the skills a report's category calls for (config; none listed: any skill)."""
    return list(services.settings.volunteers.report_skills.get(report.category, []))


async def authorised(
    update: Update, ctx: GridContext, me: Person, report_id: int | None
) -> tuple[Staff, Report] | None:
    """Returns the presser's staff record and the open report they may act on, else refuses."""
    report = await ctx.reports.get(report_id) if report_id is not None else None
    if report is None:
        await tell(update, ctx, me, "common.stale_button")
        return None
    staff = await ctx.people.staff(me.user_id)
    refused = access.handle_report(staff, report, await ctx.units.tree())
    if refused is not None or staff is None:
        await deny(update, ctx, me, refused or Rule.REPORT_HANDLE, f"report:{report.id}")
        return None
    if not report.status.is_open:
        await tell(update, ctx, me, "volunteer.report_not_open", number=report.number)
        return None
    return staff, report


async def on_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun="vfind", verbs=VERBS, answer_first=False)
    if found is None:
        return
    me, press, _ = found
    first, second = press.int_arg(0), press.int_arg(1)
    if press.verb == "list":
        await show_matches(update, ctx, me, first)
        return
    result: Done[Invite] | Refused = Refused("common.stale_button")  # an id missing: forged
    if press.verb == "inv" and first is not None and second is not None:
        result = await invite_volunteer(ctx.services, first, second, by=me.user_id, at=ctx.now())
    elif press.verb in ("yes", "no") and first is not None:
        accept = press.verb == "yes"
        result = await answer_invitation(
            ctx.services, first, by=me.user_id, at=ctx.now(), accept=accept
        )
    await render(update, ctx, me, result, in_chat=IN_CHAT)


async def show_matches(update: Update, ctx: GridContext, me: Person, report_id: int | None) -> None:
    """Shows the worker the volunteers who match the report, if they may act on it."""
    found = await authorised(update, ctx, me, report_id)
    if found is not None:
        await answer(update)
        await ctx.outbox.send([await matches_card(ctx, me, found[1])], ctx.now())


VERBS = ("list", "inv", "yes", "no")
# Said in the chat, as before the use cases: the press was answered before the race was lost.
IN_CHAT = ("volunteer.already_invited",)


async def matches_card(ctx: GridContext, me: Person, report: Report) -> Outgoing:
    """Returns the list of matching volunteers near the report, an invite button for each."""
    services = ctx.services
    tree = await ctx.units.tree()
    matched = await matching_volunteers(services, report.unit, skills_for(services, report))
    invited = await services.store.volunteers.invited_to(report.id or 0)
    lines, rows = [], []
    for v in matched[:10]:
        state = invited.get(v.user_id)
        lines.append(
            services.texts(
                "volunteer.match_line",
                me.lang,
                name=v.name,
                skills=skill_names(services, v.skills, me.lang),
                team=team_name(services, v.team, me.lang),
                availability=availability_names(services, v.availability, me.lang),
                place=tree.place_name(v.unit),
                state=services.texts(f"volunteer.invite_{state}", me.lang) if state else "",
            )
        )
        if state is None:
            label = services.texts("volunteer.invite", me.lang, name=v.name)
            rows.append([button(label[:40], "vfind", "inv", report.id, v.user_id)])
    text = services.texts(
        "volunteer.matches",
        me.lang,
        number=report.number,
        skills=skill_names(services, skills_for(services, report), me.lang),
        lines=Raw("\n".join(lines) or services.texts("volunteer.none_found", me.lang)),
    )
    return outgoing.card(
        me.user_id, f"report:{report.id}:volunteers", text, markup=buttons.keyboard(rows)
    )


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=r"^vfind:"))
