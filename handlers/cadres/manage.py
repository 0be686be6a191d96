"""/cadres (下沉干部): community, street and district staff choose a grid with the one unit
picker, then see its cadres, send staff down to it and withdraw them — one card edited in place.

Callbacks: "cadre:list:<grid>:<page>" the grid's cadres; "cadre:add:<grid>:<page>" who may be
sent down; "cadre:pick:<grid>:<user id>" sends them down; "cadre:det:<grid>:<attachment id>"
asks to confirm; "cadre:detok:<attachment id>" withdraws. Every press is re-authorised by
bot/usecases/cadres.py (rule cadre_manage); a second press of a finished action says so.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import cadres as domain
from bot.domain.people import Person, Role, Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.usecases import cadres
from bot.usecases.cadres import GridCadres
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, person_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

NOUN = "cadre"
FLOW = "cadres"
VERBS = ("list", "add", "pick", "det", "detok")


def card_key(user_id: int) -> str:
    return f"cadres:{user_id}"


def nav(ctx: GridContext, me: Person, verb: str, unit: str, page: int, pages: int) -> list:
    row = []
    if page > 0:
        row.append(button(ctx.texts("staff.previous", me.lang), NOUN, verb, unit, page - 1))
    if page + 1 < pages:
        row.append(button(ctx.texts("staff.next", me.lang), NOUN, verb, unit, page + 1))
    return row


def list_card(ctx: GridContext, me: Person, view: GridCadres, page: int = 0) -> Outgoing:
    """Returns the grid's cadres, a withdraw button each, paged, and the add button."""
    t, lang = ctx.texts, me.lang
    page, pages = domain.page_of(len(view.members), page)
    shown = view.members[page * domain.PAGE : (page + 1) * domain.PAGE]
    lines = [
        t(
            "cadres.list_member",
            lang,
            name=m.name,
            since=m.attachment.since.astimezone(ctx.services.tz).date().isoformat(),
        )
        for m in shown
    ]
    text = t(
        "cadres.list",
        lang,
        place=view.place,
        count=len(view.members),
        page=page + 1,
        pages=pages,
        members="\n".join(lines) or t("cadres.list_empty", lang),
    )
    rows: list[list[InlineKeyboardButton]] = [
        [
            button(
                t("cadres.button_detach", lang, name=m.name),
                NOUN,
                "det",
                view.unit,
                m.attachment.id,
            )
        ]
        for m in shown
    ]
    rows.append(nav(ctx, me, "list", view.unit, page, pages))
    rows.append([button(t("cadres.button_add", lang), NOUN, "add", view.unit, 0)])
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


def candidate_card(
    ctx: GridContext, me: Person, unit: str, people: list[Staff], tree: UnitTree, page: int
) -> Outgoing:
    t, lang = ctx.texts, me.lang
    page, pages = domain.page_of(len(people), page)
    rows: list[list[InlineKeyboardButton]] = []
    for s in people[page * domain.PAGE : (page + 1) * domain.PAGE]:
        label = t(
            "cadres.candidate",
            lang,
            name=s.name,
            role=t(f"invite.roles.{s.role.value}", lang),
            unit=tree.get(s.unit).name if s.unit in tree else s.unit,
        )
        rows.append([button(label, NOUN, "pick", unit, s.user_id)])
    rows.append(nav(ctx, me, "add", unit, page, pages))
    rows.append([button(t("staff.back", lang), NOUN, "list", unit, 0)])
    text = t(
        "cadres.candidates",
        lang,
        place=tree.place_name(unit),
        count=len(people),
        page=page + 1,
        pages=pages,
    )
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


def confirm_card(ctx: GridContext, me: Person, view: GridCadres, attachment_id: int) -> Outgoing:
    member = next(m for m in view.members if m.attachment.id == attachment_id)
    t, lang = ctx.texts, me.lang
    text = t("cadres.confirm_detach", lang, name=member.name, place=view.place)
    rows = [
        [button(t("cadres.button_confirm", lang), NOUN, "detok", attachment_id)],
        [button(t("staff.back", lang), NOUN, "list", view.unit, 0)],
    ]
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


async def command(update: Update, ctx: GridContext) -> None:
    """/cadres: asks which grid (the unit picker, from the sender's own unit down)."""
    me = await person_of(update, ctx)
    allowed = await cadres.may_start(ctx.services, by=me.user_id, at=ctx.now())
    if isinstance(allowed, Refused):
        await say_refused(ctx, me, allowed)
        return
    draft = Draft(me.user_id, FLOW, picker.STEP, {})
    await ctx.drafts.put(draft, ctx.now(), await picker.begin(ctx, me, draft))


async def grid_chosen(
    ctx: GridContext, me: Person, draft: Draft, code: str, done: list[Outgoing]
) -> None:
    """Ends the walk and shows the grid's cadres (re-authorised: a refusal ends it too)."""
    found = await cadres.grid_cadres(ctx.services, code, by=me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        text = ctx.texts(found.key, me.lang, **dict(found.params))
        await ctx.drafts.clear(me.user_id, ctx.now(), [*done, outgoing.message(me.user_id, text)])
        return
    await ctx.drafts.clear(me.user_id, ctx.now(), [*done, list_card(ctx, me, found.value)])


async def reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """The walk's top, read on every press: the manager's own unit (admins: the whole tree)."""
    staff = await ctx.people.staff(me.user_id)
    if staff is None or not domain.may_manage(staff, staff.unit, await ctx.units.tree()):
        return NOWHERE
    return None if staff.role is Role.ADMIN else staff.unit


async def question(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
) -> str:
    where = tree.place_name(node) if node is not None else "—"
    return ctx.texts("cadres.ask_grid", me.lang, place=where)


async def grids_only(ctx: GridContext, me: Person, draft: Draft) -> Callable[[str], bool]:
    tree = await ctx.units.tree()
    return lambda code: domain.is_grid(code, tree)


async def on_press(update: Update, ctx: GridContext) -> None:
    """cadre:(list|add|pick|det|detok):… — each re-authorised by the use case."""
    found = await press_of(update, ctx, noun=NOUN, verbs=VERBS)
    if found is None:
        return
    me, press, _ = found
    services, now = ctx.services, ctx.now()
    unit, arg = (press.args[0] if press.args else ""), press.int_arg(1)
    if press.verb == "detok":
        attachment_id = press.int_arg(0)
        if attachment_id is None:
            await say(ctx, me, "cadres.stale")
            return
        detached = await cadres.detach(
            services,
            attachment_id,
            by=me.user_id,
            at=now,
            messages=lambda view: [list_card(ctx, me, view)],
        )
        if isinstance(detached, Refused):
            await say_refused(ctx, me, detached)
        return
    if arg is None or arg < 0:
        await say(ctx, me, "cadres.stale")
        return
    if press.verb == "pick":
        attached = await cadres.attach(
            services,
            unit,
            arg,
            by=me.user_id,
            at=now,
            messages=lambda view: [list_card(ctx, me, view)],
        )
        if isinstance(attached, Refused):
            await say_refused(ctx, me, attached)
        return
    if press.verb == "add":
        people = await cadres.candidates(services, unit, by=me.user_id, at=now)
        if isinstance(people, Refused):
            await say_refused(ctx, me, people)
            return
        card = candidate_card(ctx, me, unit, people.value, await ctx.units.tree(), arg)
        await ctx.outbox.send([card], now)
        return
    view = await cadres.grid_cadres(services, unit, by=me.user_id, at=now)
    if isinstance(view, Refused):
        await say_refused(ctx, me, view)
        return
    if press.verb == "list":
        await ctx.outbox.send([list_card(ctx, me, view.value, arg)], now)
    elif any(m.attachment.id == arg for m in view.value.members):
        await ctx.outbox.send([confirm_card(ctx, me, view.value, arg)], now)
    else:
        await say(ctx, me, "cadres.gone")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cadres", command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{NOUN}:"))


PLACES = {
    FLOW: Place(
        done=grid_chosen,
        ask=question,
        here="cadres.pick_here",
        up="care.pick_up",
        reach=reach,
        choosable=grids_only,
    )
}
