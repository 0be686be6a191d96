"""/staff: admins (anywhere) and street / district staff (below their unit) manage staff in chat.

Callbacks: "staff:page:<n>" the list; "staff:show:<id>" a person's card; "staff:off:<id>" asks,
"staff:offok:<id>" deactivates; "staff:role:<id>" offers roles, "staff:setrole:<id>:<role>" sets
one; "staff:move:<id>" starts a walk with the one unit picker (handlers/kit/picker.py; the
person moving is kept in the draft). Every press is re-authorised against the database by the
named rules of bot/domain/access.py (staff_manage, staff_change, staff_place, which wrap
bot/domain/staffing.py): the presser must still manage staff, the person must still be active
and in their scope, and the new unit or role must be one they may give; a refusal is answered
and recorded for /audit. The walk offers "choose here" only where a pick would be allowed.
Staff listed in the config file are moved or re-roled in the file (the next start would undo a
change made here); they can be deactivated here at once.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.people import Person, Role, Staff
from bot.domain.staffing import scope_of
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices import staff as staff_notices
from bot.notices.buttons import Press, button, keyboard
from bot.notices.staff import admin_card_key, unit_label
from bot.usecases.results import Refused
from bot.usecases.staff import change_staff, deactivate_staff
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import deny, record
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

NOUN = "staff"
OLD_WALK = "staffmv"  # the noun of the walk's buttons before the one picker
FLOW = "staffmove"
PAGE = 8


def card_key(user_id: int) -> str:
    return admin_card_key(user_id)


def role_name(ctx: GridContext, role: Role, lang: str) -> str:
    return staff_notices.role_name(ctx.texts, role, lang)


def place(tree: UnitTree, unit: str) -> str:
    return unit_label(tree, unit)


async def manager(
    update: Update, ctx: GridContext, me: Person, target: str | None = None
) -> Staff | None:
    """Returns ME's staff record if they may manage staff now (read again on every press);
    else refuses by the staff_manage rule (recorded with TARGET) and returns None."""
    staff = await ctx.people.staff(me.user_id)
    if refused := access.manage_staff(staff):
        await deny(update, ctx, me, refused, target, "staff.not_allowed")
        return None
    return staff


async def managed(ctx: GridContext, me: Person, actor: Staff) -> list[Staff]:
    """Returns the active staff ACTOR manages, in tree order."""
    tree = await ctx.units.tree()
    order = {unit.code: i for i, unit in enumerate(tree)}
    found = [s for s in await ctx.people.all_staff() if access.change_staff(actor, s, tree) is None]
    return sorted(found, key=lambda s: (order.get(s.unit, len(order)), s.user_id))


async def list_command(update: Update, ctx: GridContext) -> None:
    """Lists the staff the sender manages, a button per person; others are refused politely."""
    me = await person_of(update, ctx)
    actor = await manager(update, ctx, me)
    if actor is None:
        return
    await ctx.outbox.send([await list_card(ctx, me, actor, 0)], ctx.now())


async def list_card(ctx: GridContext, me: Person, actor: Staff, page: int) -> Outgoing:
    tree, people = await ctx.units.tree(), await managed(ctx, me, actor)
    pages = max(1, -(-len(people) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [
        [
            button(
                f"{s.name} · {role_name(ctx, s.role, me.lang)} · {place(tree, s.unit)}",
                NOUN,
                "show",
                s.user_id,
            )
        ]
        for s in people[page * PAGE : (page + 1) * PAGE]
    ]
    nav = []
    if page > 0:
        nav.append(button(ctx.texts("staff.previous", me.lang), NOUN, "page", page - 1))
    if page + 1 < pages:
        nav.append(button(ctx.texts("staff.next", me.lang), NOUN, "page", page + 1))
    rows.append(nav)
    key = "staff.list" if people else "staff.list_empty"
    text = ctx.texts(key, me.lang, count=len(people), page=page + 1, pages=pages)
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


async def person_card(ctx: GridContext, me: Person, target: Staff) -> Outgoing:
    tree = await ctx.units.tree()
    source = await ctx.people.source_of(target.user_id) or ""
    categories = ", ".join(target.categories) or "—"
    text = ctx.texts(
        "staff.card",
        me.lang,
        name=target.name,
        id=target.user_id,
        role=role_name(ctx, target.role, me.lang),
        unit=place(tree, target.unit),
        categories=categories,
        source=ctx.texts(f"staff.source_{source or 'config'}", me.lang),
    )
    uid = target.user_id
    rows = [[button(ctx.texts("staff.button_off", me.lang), NOUN, "off", uid)]]
    if source != "config":
        rows.append(
            [
                button(ctx.texts("staff.button_move", me.lang), NOUN, "move", uid),
                button(ctx.texts("staff.button_role", me.lang), NOUN, "role", uid),
            ]
        )
    else:
        text += "\n\n" + ctx.texts("staff.config_note", me.lang)
    rows.append([button(ctx.texts("staff.back", me.lang), NOUN, "page", 0)])
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


async def on_press(update: Update, ctx: GridContext) -> None:
    """Handles every staff:… button after checking the presser and the person again."""
    found = await press_of(update, ctx, noun=NOUN, verbs=("page", *VERBS), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    uid = press.int_arg(0) if press.verb in VERBS else None
    actor = await manager(update, ctx, me, f"staff:{uid}" if uid is not None else None)
    if actor is None:
        return
    if press.verb == "page":
        await answer(update)
        page = press.int_arg(0) or 0
        await ctx.outbox.send([await list_card(ctx, me, actor, page)], ctx.now())
        return
    target = await target_of(ctx, press)
    if target is None:  # left meanwhile, or no such person
        await answer(update, ctx.texts("staff.gone", me.lang))
        return
    if refused := access.change_staff(actor, target, await ctx.units.tree()):
        await deny(update, ctx, me, refused, f"staff:{target.user_id}", "staff.gone")
        return
    if press.verb == "setrole" and await refused_role(update, ctx, me, actor, target, press):
        return
    await answer(update)
    await VERBS[press.verb](ctx, me, actor, target, press)


def role_of(press: Press) -> Role | None:
    """Returns the role a "staff:setrole:<id>:<role>" press names, None if it names none."""
    wanted = press.args[1] if len(press.args) > 1 else ""
    return Role(wanted) if wanted in Role.__members__.values() else None


async def refused_role(
    update: Update, ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press
) -> bool:
    """Answers and returns True unless ACTOR may give TARGET the role pressed (staff_place)."""
    role = role_of(press)
    if role is None:
        await answer(update, ctx.texts("common.stale_button", me.lang))
        return True
    tree = await ctx.units.tree()
    if refused := access.place_staff(actor, role, target.unit, tree):
        await deny(update, ctx, me, refused, f"staff:{target.user_id}", "staff.role_not_allowed")
        return True
    return False


async def target_of(ctx: GridContext, press: Press) -> Staff | None:
    user_id = press.int_arg(0)
    return await ctx.people.staff(user_id) if user_id is not None else None


async def show(ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press) -> None:
    await ctx.outbox.send([await person_card(ctx, me, target)], ctx.now())


async def ask_off(ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press) -> None:
    tree = await ctx.units.tree()
    text = ctx.texts(
        "staff.ask_off",
        me.lang,
        name=target.name,
        role=role_name(ctx, target.role, me.lang),
        unit=place(tree, target.unit),
    )
    rows = [
        [
            button(ctx.texts("staff.button_off_confirm", me.lang), NOUN, "offok", target.user_id),
            button(ctx.texts("staff.back", me.lang), NOUN, "show", target.user_id),
        ]
    ]
    await ctx.outbox.send(
        [outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))], ctx.now()
    )


async def deactivate(
    ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press
) -> None:
    """Deactivates TARGET, tells them, and re-routes what they held (reports, households)."""
    done = await deactivate_staff(ctx.services, target.user_id, by=me.user_id, at=ctx.now())
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)
        return
    await say(ctx, me, "staff.handed_over", name=target.name, count=done.value)


async def ask_role(ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press) -> None:
    """Offers the roles ACTOR may give TARGET where they are (the staff_place rule decides)."""
    if await refused_config(ctx, me, target):
        return
    tree = await ctx.units.tree()
    rows = [
        [button(role_name(ctx, role, me.lang), NOUN, "setrole", target.user_id, role.value)]
        for role in Role
        if role is not target.role and access.place_staff(actor, role, target.unit, tree) is None
    ]
    rows.append([button(ctx.texts("staff.back", me.lang), NOUN, "show", target.user_id)])
    text = ctx.texts("staff.ask_role", me.lang, name=target.name)
    await ctx.outbox.send(
        [outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))], ctx.now()
    )


async def set_role(ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press) -> None:
    """Gives TARGET the role pressed (on_press has checked it by the staff_place rule)."""
    role = role_of(press)
    assert role is not None
    await change(ctx, me, target, role=role)


async def start_move(
    ctx: GridContext, me: Person, actor: Staff, target: Staff, press: Press
) -> None:
    """Starts the walk to the unit TARGET moves to (handlers/kit/picker.py), on the list's card."""
    if await refused_config(ctx, me, target):
        return
    draft = Draft(me.user_id, FLOW, picker.STEP, {"uid": target.user_id})
    walk = await picker.begin(ctx, me, draft, card_key=card_key(me.user_id))
    await ctx.drafts.put(draft, ctx.now(), walk)


async def moving(ctx: GridContext, me: Person, draft: Draft) -> tuple[Staff, Staff] | None:
    """Returns ME (if they still manage staff) and the person moving, if still in their scope."""
    actor = await ctx.people.staff(me.user_id)
    target = await ctx.people.staff(int(draft.data["uid"]))
    tree = await ctx.units.tree()
    if access.manage_staff(actor) or actor is None or target is None:
        return None
    return (actor, target) if access.change_staff(actor, target, tree) is None else None


async def reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """Returns the unit a move's walk is bounded by: the manager's own scope (admins: none)."""
    found = await moving(ctx, me, draft)
    return scope_of(found[0]) if found is not None else NOWHERE


async def choosable(ctx: GridContext, me: Person, draft: Draft) -> Callable[[str], bool]:
    """Returns where the person may be moved: not where they are, and only where the manager may
    place their role (staff_place): "choose here" is offered only there."""
    found, tree = await moving(ctx, me, draft), await ctx.units.tree()

    def may(code: str) -> bool:
        if found is None:
            return False
        actor, target = found
        return code != target.unit and access.place_staff(actor, target.role, code, tree) is None

    return may


async def unit_question(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
) -> str:
    target = await ctx.people.staff(int(draft.data["uid"]))
    name = target.name if target is not None else "—"
    return ctx.texts("staff.ask_unit", me.lang, name=name, at=place(tree, node) if node else "—")


async def moved_to(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    """Moves the person to CODE if the manager still may (read again); else says why."""
    actor = await ctx.people.staff(me.user_id)
    if refused := access.manage_staff(actor):
        await say(ctx, me, "staff.not_allowed", end_flow=True)
        await record(ctx, me.user_id, refused, None, f"{FLOW}:unit")
        return
    assert actor is not None
    tree = await ctx.units.tree()
    target = await ctx.people.staff(int(draft.data["uid"]))
    if target is None:
        await say(ctx, me, "staff.gone", end_flow=True)
        return
    if refused := access.change_staff(actor, target, tree):
        await say(ctx, me, "staff.gone", end_flow=True)
        await record(ctx, me.user_id, refused, f"staff:{target.user_id}", f"{FLOW}:unit")
        return
    if refused := access.place_staff(actor, target.role, code, tree):
        await say(ctx, me, "staff.unit_not_allowed")
        await record(ctx, me.user_id, refused, f"unit:{code}", f"{FLOW}:unit")
        return
    if code == target.unit:  # never offered: an old or forged press
        await say(ctx, me, "staff.unit_not_allowed")
        return
    await ctx.drafts.clear(me.user_id, ctx.now())
    await change(ctx, me, target, unit=code)


async def change(
    ctx: GridContext,
    me: Person,
    target: Staff,
    *,
    unit: str | None = None,
    role: Role | None = None,
) -> None:
    """Stores a move or a new role, tells both, and re-routes what the person no longer covers."""
    done = await change_staff(
        ctx.services, target.user_id, by=me.user_id, at=ctx.now(), unit=unit, role=role
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done)
        return
    after, moved = done.value
    if moved:
        await say(ctx, me, "staff.handed_over", name=after.name, count=moved)


async def refused_config(ctx: GridContext, me: Person, target: Staff) -> bool:
    """Says so and returns True if TARGET comes from the config file (change them there)."""
    if await ctx.people.source_of(target.user_id) != "config":
        return False
    await say(ctx, me, "staff.config_note")
    return True


VERBS = {
    "show": show,
    "off": ask_off,
    "offok": deactivate,
    "role": ask_role,
    "setrole": set_role,
    "move": start_move,
}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("staff", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{NOUN}:"))
    # the walk's buttons before the one picker: an old message's press is answered as stale
    app.add_handler(CallbackQueryHandler(picker.on_press, pattern=rf"^{OLD_WALK}:"))


# flow → how a move asks for the new unit (handlers/kit/picker.py) and what it does with it
PLACES: dict[str, Place] = {
    FLOW: Place(
        done=moved_to,
        ask=unit_question,
        here="volunteer.choose_here",
        up="volunteer.go_up",
        reach=reach,
        choosable=choosable,
    )
}
