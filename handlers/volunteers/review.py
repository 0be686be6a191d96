"""Staff side of volunteers: approve or decline registrations, /volunteers with filters.

Callbacks: "vol:ok:<user>" / "vol:no:<user>" decide a registration; "vols:<verb>:<page>:
<skill index>:<team index>:<unit>" browse the list ("-" for no filter). Every press is
re-authorised: only staff of the volunteer's community or above decide, and staff see
volunteers of their own unit and below.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.access import Rule
from bot.domain.people import Person, Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import may_manage, subtree
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import describe, skill_names, team_name
from bot.texts import Raw
from bot.usecases.volunteers import decide_volunteer
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import deny
from handlers.kit.reply import tell
from handlers.volunteers.common import render
from storage.outbox import Outgoing

PAGE = 8


async def on_decide(update: Update, ctx: GridContext) -> None:
    """Approves or declines a registration, if the presser may and it is still pending."""
    found = await press_of(update, ctx, noun="vol", verbs=("ok", "no"), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    if (user_id := press.int_arg(0)) is None:
        await tell(update, ctx, me, "common.stale_button")
        return
    result = await decide_volunteer(
        ctx.services, user_id, by=me.user_id, at=ctx.now(), approve=press.verb == "ok"
    )
    await render(update, ctx, me, result)


# /volunteers ---------------------------------------------------------------------------------


async def list_command(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    staff = await ctx.people.staff(me.user_id)
    unit = staff.unit if staff is not None else ""
    refused = access.browse_volunteers(staff, unit, await ctx.units.tree())
    if refused is not None or staff is None:
        await deny(update, ctx, me, refused or Rule.VOLUNTEER_BROWSE, None, "volunteer.staff_only")
        return
    await ctx.outbox.send([await list_card(ctx, me, staff, 0, None, None, staff.unit)], ctx.now())


def _index(value: str) -> int | None:
    return int(value) if value.isdigit() else None


async def on_list(update: Update, ctx: GridContext) -> None:
    """Pages and filters the list; the unit filter never leaves the presser's own area."""
    found = await press_of(
        update, ctx, noun="vols", verbs=("l", "fs", "ft", "fu"), answer_first=False
    )
    if found is None:
        return
    me, press, _ = found
    staff = await ctx.people.staff(me.user_id)
    tree = await ctx.units.tree()
    config = ctx.services.settings.volunteers
    if len(press.args) != 4:
        await tell(update, ctx, me, "common.stale_button")
        return
    page, skill, team, unit = press.args
    refused = access.browse_volunteers(staff, unit, tree)
    if refused is not None or staff is None:
        await deny(update, ctx, me, refused or Rule.VOLUNTEER_BROWSE, f"unit:{unit}")
        return
    s, t = _index(skill), _index(team)
    if (s is not None and s >= len(config.skills)) or (t is not None and t >= len(config.teams)):
        await tell(update, ctx, me, "common.stale_button")
        return
    await answer(update)
    if press.verb == "l":
        message = await list_card(ctx, me, staff, _index(page) or 0, s, t, unit)
    else:
        message = filter_card(ctx, me, press.verb, s, t, unit, tree)
    await ctx.outbox.send([message], ctx.now())


def _arg(value: int | None) -> str:
    return "-" if value is None else str(value)


def filter_card(
    ctx: GridContext,
    me: Person,
    verb: str,
    s: int | None,
    t: int | None,
    unit: str,
    tree: UnitTree,
) -> Outgoing:
    """Returns the list card showing the choices for one filter (skill, team or unit)."""
    config = ctx.services.settings.volunteers
    lang = me.lang
    options: list = []
    if verb == "fs":
        for i, o in enumerate(config.skills):
            options.append(button(o.en if lang == "en" else o.zh, "vols", "l", 0, i, _arg(t), unit))
        options.append(button(ctx.texts("volunteer.any", lang), "vols", "l", 0, "-", _arg(t), unit))
    elif verb == "ft":
        for i, o in enumerate(config.teams):
            options.append(button(o.en if lang == "en" else o.zh, "vols", "l", 0, _arg(s), i, unit))
        options.append(button(ctx.texts("volunteer.any", lang), "vols", "l", 0, _arg(s), "-", unit))
    else:
        for child in tree.children(unit):
            options.append(button("📂 " + child.name, "vols", "l", 0, _arg(s), _arg(t), child.code))
    rows = [options[i : i + 2] for i in range(0, len(options), 2)]
    rows.append([button(ctx.texts("volunteer.back", lang), "vols", "l", 0, _arg(s), _arg(t), unit)])
    text = ctx.texts("volunteer.choose_filter", lang)
    return outgoing.card(
        me.user_id, f"volunteers:list:{me.user_id}", text, markup=buttons.keyboard(rows)
    )


async def list_card(
    ctx: GridContext, me: Person, staff: Staff, page: int, s: int | None, t: int | None, unit: str
) -> Outgoing:
    """Returns one page of approved volunteers at UNIT and below, with filter and page buttons."""
    services = ctx.services
    config = services.settings.volunteers
    tree = await ctx.units.tree()
    lang = me.lang
    skill = config.skills[s].code if s is not None else None
    team = config.teams[t].code if t is not None else None
    found, total = await services.store.volunteers.search(
        subtree(unit, tree), skill=skill, team=team, offset=page * PAGE, limit=PAGE
    )
    lines = [describe(services, v, lang, tree) for v in found]
    text = services.texts(
        "volunteer.list",
        lang,
        place=tree.place_name(unit),
        skill=skill_names(services, [skill], lang)
        if skill
        else services.texts("volunteer.any", lang),
        team=team_name(services, team, lang) if team else services.texts("volunteer.any", lang),
        total=total,
        page=page + 1,
        pages=max(1, -(-total // PAGE)),
        lines=Raw("\n\n".join(lines) or services.texts("volunteer.none_found", lang)),
    )
    a, b = _arg(s), _arg(t)
    nav = []
    if page > 0:
        nav.append(button("◀️", "vols", "l", page - 1, a, b, unit))
    if (page + 1) * PAGE < total:
        nav.append(button("▶️", "vols", "l", page + 1, a, b, unit))
    filters_row = [
        button(services.texts("volunteer.filter_skill", lang), "vols", "fs", 0, a, b, unit),
        button(services.texts("volunteer.filter_team", lang), "vols", "ft", 0, a, b, unit),
    ]
    if tree.children(unit):
        filters_row.append(
            button(services.texts("volunteer.filter_unit", lang), "vols", "fu", 0, a, b, unit)
        )
    rows = [nav, filters_row]
    if (
        unit != staff.unit
        and tree.get(unit).parent
        and may_manage(staff, tree.get(unit).parent or "", tree)
    ):
        rows.append(
            [
                button(
                    services.texts("volunteer.go_up", lang),
                    "vols",
                    "l",
                    0,
                    a,
                    b,
                    tree.get(unit).parent,
                )
            ]
        )
    return outgoing.card(
        me.user_id, f"volunteers:list:{me.user_id}", text, markup=buttons.keyboard(rows)
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("volunteers", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_decide, pattern=r"^vol:"))
    app.add_handler(CallbackQueryHandler(on_list, pattern=r"^vols:"))
