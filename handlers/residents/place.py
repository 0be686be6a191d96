"""Where a resident lives: walk the unit tree or share a location (/start, /me).

The walk is shared with the report flow's place step: both keep it in the draft, and each flow
says what happens to the chosen unit (PLACES, merged by bot/app.py into the flow table). Every
button carries the nonce of the prompt it belongs to, so a press on an older prompt is stale.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.units import Unit, UnitTree
from bot.notices import outgoing, residents
from bot.notices.buttons import Press, button, keyboard
from bot.usecases.residents import set_place
from bot.usecases.results import Refused
from handlers.kit.flows import PlaceDone, StepCallback, flows_of, offer_idle, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "register"
LOCATION = "location"  # the consent a shared location needs first
FAR_M = 2000  # a location farther than this from every building is not trusted
PAGE = 12  # units per page of the walk (two per row)


# Shared by every resident module ---------------------------------------------------------


def main_keyboard(ctx: GridContext, me: Person) -> dict:
    """Returns the persistent reply keyboard: 随手拍 and my reports."""
    return residents.main_keyboard(ctx.texts, me.lang)


def request_keyboard(label: str, kind: str) -> dict:
    """Returns a one-button reply keyboard that shares a location or the user's own contact."""
    return {
        "keyboard": [[{"text": label, kind: True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


def renew(draft: Draft) -> str:
    """Gives the draft's next prompt a fresh nonce (older prompts' buttons become stale)."""
    draft.data["n"] = secrets.token_hex(3)
    return str(draft.data["n"])


async def pressed(
    update: Update, ctx: GridContext, steps: Sequence[str]
) -> tuple[Person, Draft, Press] | None:
    """Returns the presser, their draft and the press if it belongs to the current prompt.

    Anything else (someone else's chat, an old prompt, a finished draft) is answered with why,
    and None is returned; a press that fits is left for the caller to answer.
    """
    found = await press_of(update, ctx, steps=steps, nonce=True, own_chat=True, answer_first=False)
    if found is None:
        return None
    me, press, draft = found
    assert draft is not None
    return me, draft, press


# The walk --------------------------------------------------------------------------------


def listing(tree: UnitTree, node: str | None) -> list[Unit]:
    return tree.roots() if node is None else tree.children(node)


def descend(tree: UnitTree, node: str | None) -> str | None:
    """Returns NODE, or the first level below it that offers a real choice."""
    units = listing(tree, node)
    while len(units) == 1 and tree.children(units[0].code):
        node = units[0].code
        units = tree.children(node)
    return node


def ascend(tree: UnitTree, node: str) -> str | None:
    """Returns the listing above NODE, skipping levels with a single child."""
    top = descend(tree, None)
    parent = tree.get(node).parent
    while parent is not None and parent != top and len(tree.children(parent)) == 1:
        parent = tree.get(parent).parent
    return parent


def walk_card(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, page: int = 0
) -> Outgoing:
    """Returns the walk's inline menu, edited in place as the resident goes down the tree."""
    t, lang, n = ctx.texts, me.lang, draft.data["n"]
    node = draft.data.get("walk")
    picks = [button(u.name, "place", "pick", n, i) for i, u in enumerate(listing(tree, node))]
    shown = picks[page * PAGE : (page + 1) * PAGE]
    rows = [shown[i : i + 2] for i in range(0, len(shown), 2)]
    nav = [button("◀", "place", "page", n, page - 1)] if page > 0 else []
    if (page + 1) * PAGE < len(picks):
        nav.append(button("▶", "place", "page", n, page + 1))
    extra = []
    if node is not None and node != descend(tree, None):
        extra.append(button(t("register.up", lang), "place", "up", n))
    if node is not None and draft.flow != FLOW:
        name = tree.get(node).name
        extra.append(button(t("register.whole", lang, name=name), "place", "here", n))
    gps = [button(t("register.by_location", lang), "place", "gps", n)] if tree.buildings() else []
    # The greeting sits above the first menu only (so /start is one message, not two).
    text = draft.data.pop("intro", "") + t(f"register.walk_{draft.flow}", lang)
    if node is not None:
        text += "\n" + t("register.walk_at", lang, place=tree.place_name(node))
    markup = keyboard([*rows, nav, extra, gps])
    return outgoing.card(me.user_id, draft.data["card"], text, markup=markup)


async def walk_messages(ctx: GridContext, me: Person, draft: Draft) -> list[Outgoing]:
    """Puts DRAFT at the top of a new walk and returns its menu."""
    tree = await ctx.units.tree()
    for stale in ("near", "lat", "lon"):
        draft.data.pop(stale, None)
    draft.step, draft.data["walk"] = "walk", descend(tree, None)
    draft.data["card"] = f"walk:{renew(draft)}"
    return [walk_card(ctx, me, draft, tree)]


def location_request(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the prompt whose reply keyboard shares the location (the walk stays open)."""
    draft.data["located"] = True  # the main keyboard is given back when the walk ends
    text = ctx.texts("register.or_location", me.lang)
    label = ctx.texts("register.button_location", me.lang)
    return outgoing.message(me.user_id, text, markup=request_keyboard(label, "request_location"))


def consent_card(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the question that asks, once, for consent to use a precise location."""
    n, t = draft.data["n"], ctx.texts
    markup = keyboard(
        [
            [button(t("privacy.consent_yes", me.lang), "consent", "yes", n)],
            [button(t("privacy.consent_no", me.lang), "consent", "no", n)],
        ]
    )
    return outgoing.message(me.user_id, t("privacy.ask_location_consent", me.lang), markup=markup)


async def location_prompt(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the location request, or first the consent question if it was never given."""
    if await ctx.services.privacy.has_consent(me.user_id, LOCATION):
        return location_request(ctx, me, draft)
    return consent_card(ctx, me, draft)


async def start(ctx: GridContext, me: Person, *, intro: str = "", changing: bool = False) -> None:
    """Starts registration (or, CHANGING, a new place from /me) with INTRO above the walk."""
    if not await ctx.units.tree():
        await say(ctx, me, "register.no_units")
        return
    draft = Draft(me.user_id, FLOW, "walk", {"changing": changing, "intro": intro})
    await ctx.drafts.put(draft, ctx.now(), await walk_messages(ctx, me, draft))


async def finish(ctx: GridContext, me: Person, draft: Draft, code: str) -> None:
    """Ends the walk on CODE: the walk's card shows the choice, the flow takes it from there."""
    tree = await ctx.units.tree()
    text = ctx.texts("register.chosen", me.lang, place=tree.place_name(code))
    done = [outgoing.card(me.user_id, draft.data["card"], text)]
    await flows_of(ctx).places[draft.flow](ctx, me, draft, code, done)


async def registered(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    """Stores the registered place and thanks the resident, in one commit."""
    changing = bool(draft.data.get("changing"))
    done = await set_place(
        ctx.services, me.user_id, code, at=ctx.now(), changing=changing, shown=messages
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done, end_flow=True)


# Buttons ---------------------------------------------------------------------------------


def walk_move(tree: UnitTree, draft: Draft, press: Press) -> tuple[str, str | None, int] | None:
    """Returns what a walk press does: ("finish", unit, _), ("walk", node, page), ("restart", …)
    or ("gps", …).

    None means the press does not fit the walk as it stands (forged or stale).
    """
    node, arg = draft.data.get("walk"), press.int_arg(1)
    units = listing(tree, node) if draft.step == "walk" else []
    if press.verb == "pick" and arg is not None and 0 <= arg < len(units):
        code = units[arg].code
        return ("walk", descend(tree, code), 0) if tree.children(code) else ("finish", code, 0)
    if press.verb == "page" and arg is not None and 0 <= arg * PAGE < len(units):
        return "walk", node, arg
    if press.verb == "up" and node is not None and node != descend(tree, None):
        return "walk", ascend(tree, node), 0
    if press.verb == "here" and node is not None and draft.flow != FLOW:
        return "finish", node, 0
    if press.verb == "yes" and draft.step == "locate" and draft.data.get("near") in tree:
        return "finish", draft.data["near"], 0
    if press.verb == "tree" and draft.step == "locate":
        return "restart", None, 0
    if press.verb == "gps" and draft.step == "walk" and tree.buildings():
        return "gps", node, 0
    return None


async def on_place(update: Update, ctx: GridContext) -> None:
    """place:<verb>:<nonce>[:<arg>] — a step of the walk, or the answer to a located building."""
    found = await pressed(update, ctx, ("walk", "locate"))
    if found is None:
        return
    me, draft, press = found
    tree = await ctx.units.tree()
    move = walk_move(tree, draft, press)
    await answer(update, None if move else ctx.texts("common.stale_button", me.lang))
    if move is None:
        return
    action, code, page = move
    if action == "finish":
        assert code is not None
        await finish(ctx, me, draft, code)
    elif action == "restart":
        await ctx.drafts.put(draft, ctx.now(), await walk_messages(ctx, me, draft))
    elif action == "gps":
        await ctx.drafts.put(draft, ctx.now(), [await location_prompt(ctx, me, draft)])
    else:
        draft.data["walk"] = code
        renew(draft)
        await ctx.drafts.put(draft, ctx.now(), [walk_card(ctx, me, draft, tree, page)])


# Messages --------------------------------------------------------------------------------


async def receive_location(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes a shared location: the nearest building, to confirm, or the tree if it is far."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    if message.location is None:
        await not_a_place(update, ctx, me, draft)
        return
    if not await ctx.services.privacy.has_consent(me.user_id, LOCATION):
        # Never asked: the location is not used (nor kept beyond the raw inbox's retention).
        unasked = outgoing.message(me.user_id, ctx.texts("privacy.location_unasked", me.lang))
        await ctx.outbox.send([unasked, consent_card(ctx, me, draft)], ctx.now())
        return
    tree = await ctx.units.tree()
    lat, lon = message.location.latitude, message.location.longitude
    found = tree.nearest_building(lat, lon)
    if found is not None and found[1] <= FAR_M:
        draft.data["lat"], draft.data["lon"] = lat, lon
        await ctx.drafts.put(draft, ctx.now(), [confirm_nearest(ctx, me, draft, tree, *found)])
        return
    if found is None:
        note = ctx.texts("register.no_coordinates", me.lang)
    else:
        note = ctx.texts("register.far", me.lang, km=f"{found[1] / 1000:.1f}")
    walk = await walk_messages(ctx, me, draft)
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, note), *walk])


def confirm_nearest(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, unit: Unit, metres: float
) -> Outgoing:
    """Puts DRAFT on confirming UNIT and returns the question (yes / choose manually)."""
    draft.step, draft.data["near"] = "locate", unit.code
    draft.data["card"] = f"locate:{renew(draft)}"
    place = tree.place_name(unit.code)
    text = ctx.texts("register.nearest", me.lang, place=place, metres=round(metres))
    n = draft.data["n"]
    markup = keyboard(
        [
            [button(ctx.texts("register.yes", me.lang), "place", "yes", n)],
            [button(ctx.texts("register.manual", me.lang), "place", "tree", n)],
        ]
    )
    return outgoing.card(me.user_id, draft.data["card"], text, markup=markup)


async def not_a_place(update: Update, ctx: GridContext, me: Person, draft: Draft) -> None:
    """Explains the walk; a photo during registration starts a report (its place is asked)."""
    message = update.effective_message
    assert message is not None
    if (
        draft.flow == FLOW
        and (message.photo or message.document)
        and await offer_idle(update, ctx, me)
    ):
        return
    await say(ctx, me, "register.use_buttons")


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_place, pattern=r"^place:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "walk"): receive_location,
    (FLOW, "locate"): receive_location,
}

# flow → what to do with the unit the walk ended on
PLACES: dict[str, PlaceDone] = {FLOW: registered}
