"""Where a resident lives: walk the unit tree or share a location (/start, /me).

The walk is the one picker (handlers/kit/picker.py), shared with the report flow's place step;
each flow says what happens to the chosen unit (PLACES, merged by bot/app.py into the flow
table). Every button carries the nonce of the prompt it belongs to, so a press on an older
prompt is stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.domain.units import Unit, UnitTree
from bot.notices import outgoing, residents
from bot.notices.buttons import Press, button, keyboard
from bot.usecases.residents import set_place
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.flows import Place, StepCallback, flows_of, offer_idle, person_of
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "register"
LOCATION = "location"  # the consent a shared location needs first
FAR_M = 2000  # a location farther than this from every building is not trusted


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


# The walk (handlers/kit/picker.py) ---------------------------------------------------------


async def ask(ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None) -> str:
    """Returns the walk's question; the greeting sits above the first one only (so /start is one
    message, not two)."""
    text = draft.data.pop("intro", "") + ctx.texts(f"register.walk_{draft.flow}", me.lang)
    if node is not None:
        text += "\n" + ctx.texts("register.walk_at", me.lang, place=tree.place_name(node))
    return text


def location_row(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree
) -> list[list[InlineKeyboardButton]]:
    """Returns the row under the walk that finds the building by a shared location."""
    if not tree.buildings():
        return []
    return [[button(ctx.texts("register.by_location", me.lang), "place", "gps", draft.data["n"])]]


async def walk_messages(ctx: GridContext, me: Person, draft: Draft) -> list[Outgoing]:
    """Puts DRAFT at the top of a new walk and returns its menu."""
    for stale in ("near", "lat", "lon"):
        draft.data.pop(stale, None)
    return await picker.begin(ctx, me, draft)


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


def location_move(tree: UnitTree, draft: Draft, press: Press) -> str | None:
    """Returns what a location press does: "finish" (the building found), "restart" (walk the
    tree instead) or "gps" (ask for the location); None if it does not fit (forged or stale)."""
    if press.verb == "yes" and draft.step == "locate" and draft.data.get("near") in tree:
        return "finish"
    if press.verb == "tree" and draft.step == "locate":
        return "restart"
    if press.verb == "gps" and draft.step == picker.STEP and tree.buildings():
        return "gps"
    return None


async def on_place(update: Update, ctx: GridContext) -> None:
    """place:(yes|tree|gps):<nonce> — the answer to a located building, or asking for the
    location (the walk's own presses go to handlers/kit/picker.py)."""
    found = await pressed(update, ctx, (picker.STEP, "locate"))
    if found is None:
        return
    me, draft, press = found
    tree = await ctx.units.tree()
    action = location_move(tree, draft, press)
    await answer(update, None if action else ctx.texts("common.stale_button", me.lang))
    if action == "finish":
        code = draft.data["near"]
        text = ctx.texts("register.chosen", me.lang, place=tree.place_name(code))
        done = [outgoing.card(me.user_id, draft.data["card"], text)]
        await flows_of(ctx).places[draft.flow].done(ctx, me, draft, code, done)
    elif action == "restart":
        await ctx.drafts.put(draft, ctx.now(), await walk_messages(ctx, me, draft))
    elif action == "gps":
        await ctx.drafts.put(draft, ctx.now(), [await location_prompt(ctx, me, draft)])


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
    draft.data["card"] = f"locate:{picker.renew(draft)}"
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
    app.add_handler(CallbackQueryHandler(on_place, pattern=r"^place:(yes|tree|gps):"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "walk"): receive_location,
    (FLOW, "locate"): receive_location,
}

# flow → what to do with the unit the walk ended on
PLACES: dict[str, Place] = {FLOW: Place(done=registered, ask=ask, rows=location_row, skip=True)}
