"""Staff side of volunteers: approve or decline registrations, /volunteers with filters.

Callbacks: "vol:ok:<user>" / "vol:no:<user>" decide a registration; "vols:<verb>:<page>:
<skill index>:<team index>:<unit>" browse the list ("-" for no filter); "vols:fu:…" puts the
list's card on the one unit picker (handlers/kit/picker.py, PLACES), bounded by the staff
member's own unit, and the unit chosen lists its volunteers. Every press is re-authorised:
only staff of the volunteer's community or above decide, and staff see volunteers of their own
unit and below.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.access import Rule
from bot.domain.people import Person, Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import (
    subtree,
)
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import describe, skill_names, team_name
from bot.texts import Raw
from bot.usecases.volunteers import decide_volunteer
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, StepCallback, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import deny, record
from handlers.kit.reply import say, tell
from handlers.volunteers.common import render, walk_top
from storage.drafts import Draft
from storage.outbox import Outgoing

LIST_FLOW = "volsunit"  # the list's unit filter, walking the one picker

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
    if press.verb == "fu":  # the card becomes the walk; the unit chosen lists (PLACES)
        draft = Draft(me.user_id, LIST_FLOW, picker.STEP, {"s": s, "t": t})
        walk = await picker.begin(ctx, me, draft, card_key=list_key(me.user_id))
        await ctx.drafts.put(draft, ctx.now(), walk)
        return
    if press.verb == "l":
        message = await list_card(ctx, me, staff, _index(page) or 0, s, t, unit)
    else:
        message = filter_card(ctx, me, press.verb, s, t, unit)
    await ctx.outbox.send([message], ctx.now())


def list_key(user_id: int) -> str:
    return f"volunteers:list:{user_id}"


def _arg(value: int | None) -> str:
    return "-" if value is None else str(value)


def filter_card(
    ctx: GridContext,
    me: Person,
    verb: str,
    s: int | None,
    t: int | None,
    unit: str,
) -> Outgoing:
    """Returns the list card showing the choices for one filter (skill or team)."""
    config = ctx.services.settings.volunteers
    lang = me.lang
    options: list = []
    if verb == "fs":
        for i, o in enumerate(config.skills):
            options.append(button(o.en if lang == "en" else o.zh, "vols", "l", 0, i, _arg(t), unit))
        options.append(button(ctx.texts("volunteer.any", lang), "vols", "l", 0, "-", _arg(t), unit))
    else:
        for i, o in enumerate(config.teams):
            options.append(button(o.en if lang == "en" else o.zh, "vols", "l", 0, _arg(s), i, unit))
        options.append(button(ctx.texts("volunteer.any", lang), "vols", "l", 0, _arg(s), "-", unit))
    rows = [options[i : i + 2] for i in range(0, len(options), 2)]
    rows.append([button(ctx.texts("volunteer.back", lang), "vols", "l", 0, _arg(s), _arg(t), unit)])
    text = ctx.texts("volunteer.choose_filter", lang)
    return outgoing.card(me.user_id, list_key(me.user_id), text, markup=buttons.keyboard(rows))


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
    top = walk_top(staff)
    if top is None or tree.children(top):  # a unit to choose with the one picker
        filters_row.append(
            button(services.texts("volunteer.filter_unit", lang), "vols", "fu", 0, a, b, unit)
        )
    return outgoing.card(
        me.user_id, list_key(me.user_id), text, markup=buttons.keyboard([nav, filters_row])
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("volunteers", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_decide, pattern=r"^vol:"))
    app.add_handler(CallbackQueryHandler(on_list, pattern=r"^vols:"))


# The list's unit filter on the one picker (handlers/kit/picker.py) ---------------------------


async def browser_reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """Returns the unit the walk is bounded by: the staff member's own (admins: none), read
    again on every press; NOWHERE once they may no longer browse volunteers."""
    staff, tree = await ctx.people.staff(me.user_id), await ctx.units.tree()
    if staff is None or access.browse_volunteers(staff, staff.unit, tree) is not None:
        return NOWHERE
    return walk_top(staff)


async def ask_unit(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
) -> str:
    return ctx.texts("volunteer.choose_filter", me.lang)


async def unit_chosen(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    """Lists the volunteers of the unit chosen (re-authorised) on the same card, with the
    skill and team filters kept."""
    staff, tree = await ctx.people.staff(me.user_id), await ctx.units.tree()
    if (refused := access.browse_volunteers(staff, code, tree)) is not None or staff is None:
        await record(ctx, me.user_id, refused or Rule.VOLUNTEER_BROWSE, f"unit:{code}", "vols:fu")
        await say(ctx, me, "volunteer.staff_only", end_flow=True)
        return
    s, t = draft.data.get("s"), draft.data.get("t")
    listing = await list_card(ctx, me, staff, 0, s, t, code)
    await ctx.drafts.clear(me.user_id, ctx.now(), [listing])


async def receive_text_at_walk(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "volunteer.use_buttons")


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {(LIST_FLOW, picker.STEP): receive_text_at_walk}

# flow → how the list's unit filter asks for the unit (handlers/kit/picker.py) and lists it
PLACES: dict[str, Place] = {
    LIST_FLOW: Place(
        done=unit_chosen,
        ask=ask_unit,
        here="volunteer.choose_here",
        up="volunteer.go_up",
        reach=browser_reach,
    )
}
