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
    area,
    availability_names,
    lang_of,
    matching_volunteers,
    skill_names,
    team_name,
)
from bot.services import Services
from bot.texts import Raw
from handlers.kit.flows import person_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say
from handlers.volunteers.common import answer, parse_press, refuse
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
        await refuse(update, ctx, me, "common.stale_button")
        return None
    staff = await ctx.people.staff(me.user_id)
    refused = access.handle_report(staff, report, await ctx.units.tree())
    if refused is not None or staff is None:
        await deny(update, ctx, me, refused or Rule.REPORT_HANDLE, f"report:{report.id}")
        return None
    if not report.status.is_open:
        await refuse(update, ctx, me, "volunteer.report_not_open", number=report.number)
        return None
    return staff, report


async def on_press(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    press = parse_press(update)
    if press is None or press.verb not in ("list", "inv", "yes", "no"):
        await refuse(update, ctx, me, "common.stale_button")
        return
    if press.verb in ("yes", "no"):
        await reply(update, ctx, me, press.int_arg(0), press.verb == "yes")
        return
    found = await authorised(update, ctx, me, press.int_arg(0))
    if found is None:
        return
    staff, report = found
    if press.verb == "list":
        await answer(update)
        await ctx.outbox.send([await matches_card(ctx, me, report)], ctx.now())
        return
    await invite(update, ctx, me, staff, report, press.int_arg(1))


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


async def invite(
    update: Update,
    ctx: GridContext,
    me: Person,
    staff: Staff,
    report: Report,
    volunteer_id: int | None,
) -> None:
    services = ctx.services
    volunteer = await services.store.volunteers.get(volunteer_id or 0)
    if volunteer is None or not volunteer.is_approved:
        await refuse(update, ctx, me, "common.stale_button")
        return
    await answer(update)
    tree = await ctx.units.tree()
    lang = (await lang_of(services, [volunteer.user_id]))[volunteer.user_id]
    category = await ctx.units.category(report.category)

    def build(made: Invite) -> list[Outgoing]:
        text = services.texts(
            "volunteer.invitation",
            lang,
            worker=staff.name,
            number=report.number,
            category=category.name(lang) if category else report.category,
            area=area(tree, report.unit),
            description=services.texts("privacy.erased_marker", lang)
            if report.extra.get("erased")
            else report.description,
        )
        markup = buttons.keyboard(
            [
                [
                    button(services.texts("volunteer.accept", lang), "vfind", "yes", made.id),
                    button(services.texts("volunteer.decline", lang), "vfind", "no", made.id),
                ]
            ]
        )
        told = services.texts("volunteer.invited", me.lang, name=volunteer.name)
        return [
            outgoing.card(volunteer.user_id, f"invite:{made.id}", text, markup=markup),
            outgoing.message(me.user_id, told),
        ]

    made = await services.store.volunteers.invite(
        report.id or 0, volunteer.user_id, me.user_id, ctx.now(), build
    )
    if made is None:
        await say(ctx, me, "volunteer.already_invited", name=volunteer.name)


async def reply(
    update: Update, ctx: GridContext, me: Person, invite_id: int | None, accept: bool
) -> None:
    """Records the volunteer's answer and tells the worker who invited them."""
    services = ctx.services
    volunteers = services.store.volunteers
    made = await volunteers.get_invite(invite_id or 0)
    if made is None:
        await refuse(update, ctx, me, "common.stale_button")
        return
    if (refused := access.answer_invite(me.user_id, made.volunteer_id)) is not None:
        await deny(update, ctx, me, refused, f"invite:{made.id}")
        return
    if made.status != "invited":
        await refuse(update, ctx, me, "volunteer.already_answered")
        return
    await answer(update)
    report = await ctx.reports.get(made.report_id)
    volunteer = await volunteers.get(me.user_id)
    assert report is not None and volunteer is not None
    tree = await ctx.units.tree()
    worker = await ctx.people.staff(made.invited_by)
    wlang = (await lang_of(services, [made.invited_by]))[made.invited_by]
    verdict = "accepted" if accept else "declined"
    to_worker = services.texts(
        f"volunteer.invite_answer_{verdict}",
        wlang,
        name=volunteer.name,
        phone=volunteer.phone or services.texts("volunteer.no_phone", wlang),
        number=report.number,
    )
    mine = services.texts(
        f"volunteer.you_{verdict}_invite",
        me.lang,
        number=report.number,
        place=tree.place_name(report.unit),
        worker=worker.name if worker else "",
    )
    messages = [outgoing.card(me.user_id, f"invite:{made.id}", mine)]
    if worker is not None:  # a worker who has left since gets no volunteer's phone number
        messages.append(outgoing.message(made.invited_by, to_worker))
    if not await volunteers.answer_invite(made.id, accept, ctx.now(), messages):
        await say(ctx, me, "volunteer.already_answered")


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=r"^vfind:"))
