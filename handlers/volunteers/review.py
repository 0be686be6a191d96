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
from bot.domain.people import Person, Role, Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import (
    InvalidMove,
    NotAllowed,
    Volunteer,
    decide,
    nearest_staff,
    subtree,
)
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import lang_of, profile_fields, skill_names, team_name
from bot.services import Services
from bot.texts import Raw
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, StepCallback, person_of
from handlers.kit.refusals import deny, record
from handlers.kit.reply import say
from handlers.volunteers.common import answer, parse_press, refuse, walk_top
from storage.drafts import Draft
from storage.outbox import Outgoing

LIST_FLOW = "volsunit"  # the list's unit filter, walking the one picker

PAGE = 8


def decide_key(user_id: int) -> str:
    return f"volunteer:{user_id}:decide"


def describe(services: Services, v: Volunteer, lang: str, tree: UnitTree) -> str:
    """Returns a volunteer's details as staff see them (name and phone included)."""
    party = (
        Raw(services.texts("volunteer.party_mark", lang, work_unit=v.work_unit or "—"))
        if v.party_member
        else ""
    )
    fields = profile_fields(services, v, lang, tree)
    return services.texts("volunteer.staff_line", lang, **fields, party=party)


async def deciders(services: Services, volunteer: Volunteer) -> list[Staff]:
    """Returns who decides on VOLUNTEER: staff of the nearest unit from their community up."""
    tree = await services.units.tree()
    staff = await services.people.all_staff()
    found = nearest_staff(volunteer.unit, tree, staff, deciders_only=True)
    return found or [s for s in staff if s.role is Role.ADMIN]


async def decision_messages(services: Services, volunteer: Volunteer) -> list[Outgoing]:
    """Returns the approve/decline cards for the staff who decide on VOLUNTEER."""
    tree = await services.units.tree()
    staff = await deciders(services, volunteer)
    langs = await lang_of(services, [s.user_id for s in staff])
    out = []
    for person in staff:
        lang = langs[person.user_id]
        text = services.texts(
            "volunteer.decide", lang, details=Raw(describe(services, volunteer, lang, tree))
        )
        markup = buttons.keyboard(
            [
                [
                    button(
                        services.texts("volunteer.approve", lang), "vol", "ok", volunteer.user_id
                    ),
                    button(
                        services.texts("volunteer.decline", lang), "vol", "no", volunteer.user_id
                    ),
                ]
            ]
        )
        out.append(
            outgoing.card(person.user_id, decide_key(volunteer.user_id), text, markup=markup)
        )
    return out


async def on_decide(update: Update, ctx: GridContext) -> None:
    """Approves or declines a registration, if the presser may and it is still pending."""
    me = await person_of(update, ctx)
    press = parse_press(update)
    user_id = press.int_arg(0) if press else None
    volunteers = ctx.services.store.volunteers
    volunteer = await volunteers.get(user_id) if user_id is not None else None
    staff = await ctx.people.staff(me.user_id)
    if press is None or volunteer is None or press.verb not in ("ok", "no"):
        await refuse(update, ctx, me, "common.stale_button")
        return
    tree = await ctx.units.tree()
    refused = access.decide_volunteer(staff, volunteer.unit, tree)
    if refused is not None or staff is None:
        await deny(update, ctx, me, refused or Rule.VOLUNTEER_DECIDE, f"volunteer:{user_id}")
        return
    try:
        after = decide(volunteer, staff, press.verb == "ok", ctx.now(), tree)
    except NotAllowed:  # the rule above said yes; kept so the domain's own check stays honest
        await refuse(update, ctx, me, "common.not_allowed")
        return
    except InvalidMove:
        await refuse(update, ctx, me, "volunteer.already_decided")
        return
    await answer(update)
    if not await volunteers.decide(after, ctx.now(), await decided_messages(ctx, after, staff)):
        await say(ctx, me, "volunteer.already_decided")


async def decided_messages(ctx: GridContext, after: Volunteer, by: Staff) -> list[Outgoing]:
    """Returns the volunteer's notice and every decider's card, closed with who decided."""
    services = ctx.services
    tree = await ctx.units.tree()
    holders = await ctx.outbox.card_chats(decide_key(after.user_id))
    langs = await lang_of(services, [after.user_id, *holders])
    verdict = "approved" if after.is_approved else "declined"
    out: list[Outgoing] = [
        outgoing.message(
            after.user_id, services.texts(f"volunteer.you_{verdict}", langs[after.user_id])
        )
    ]
    for chat_id in holders:
        lang = langs[chat_id]
        text = services.texts(
            f"volunteer.decided_{verdict}",
            lang,
            details=Raw(describe(services, after, lang, tree)),
            by=by.name,
        )
        out.append(outgoing.card(chat_id, decide_key(after.user_id), text))
    return out


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
    me = await person_of(update, ctx)
    press = parse_press(update)
    staff = await ctx.people.staff(me.user_id)
    tree = await ctx.units.tree()
    config = ctx.services.settings.volunteers
    if press is None or len(press.args) != 4 or press.verb not in ("l", "fs", "ft", "fu"):
        await refuse(update, ctx, me, "common.stale_button")
        return
    page, skill, team, unit = press.args
    refused = access.browse_volunteers(staff, unit, tree)
    if refused is not None or staff is None:
        await deny(update, ctx, me, refused or Rule.VOLUNTEER_BROWSE, f"unit:{unit}")
        return
    s, t = _index(skill), _index(team)
    if (s is not None and s >= len(config.skills)) or (t is not None and t >= len(config.teams)):
        await refuse(update, ctx, me, "common.stale_button")
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
