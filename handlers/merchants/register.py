"""/merchant: a shop registers for 码上安全 self-checks, step by step.

shop name → place (share the shop's location: the grid it lies in, or walk the unit tree) →
kind → contact phone (optional; staff only) → confirm. Text steps arrive through
handlers/kit/flows.py; the buttons ("mreg:<verb>:<nonce>[:<arg>]") act only on the step the
draft is at, on the current prompt.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import merchants as domain
from bot.domain.merchants import Merchant, MerchantError, MerchantStatus
from bot.domain.people import Person
from bot.domain.units import UnitTree
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.merchants import cadence_text, describe, item_lines, kind_name
from bot.texts import Raw
from bot.usecases.merchants import items_for
from bot.usecases.merchants import register as register_merchant
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, Place, StepCallback, person_of, text_of
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say, say_refused, tell
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "merchant"
NOUN = "mreg"


async def start(update: Update, ctx: GridContext) -> None:
    """Shows the caller's shop (approved or stopped), or starts a registration."""
    me = await person_of(update, ctx)
    if not ctx.services.settings.merchants.enabled:
        await say(ctx, me, "merchant.off")
        return
    existing = await ctx.store.merchants.of_owner(me.user_id)
    if existing is not None and existing.status in (
        MerchantStatus.APPROVED,
        MerchantStatus.INACTIVE,
    ):
        await ctx.outbox.send([await profile(ctx, me, existing)], ctx.now())
        return
    await begin(ctx, me)


async def profile(ctx: GridContext, me: Person, merchant: Merchant) -> Outgoing:
    tree = await ctx.units.tree()
    text = ctx.texts(
        "merchant.profile",
        me.lang,
        card=Raw(describe(ctx.services, merchant, me.lang, tree, staff=False)),
        status=ctx.texts(f"merchant.status_{merchant.status.value}", me.lang),
        items=Raw(item_lines(ctx.services, items_for(ctx.services, merchant.kind), me.lang)),
        cadence=cadence_text(ctx.services, me.lang),
    )
    return outgoing.message(me.user_id, text)


async def begin(ctx: GridContext, me: Person) -> None:
    nonce = secrets.token_hex(3)
    draft = Draft(me.user_id, FLOW, "name", {"card": f"mreg:{nonce}", "n": nonce})
    prompt = outgoing.message(me.user_id, ctx.texts("merchant.ask_name", me.lang))
    await ctx.drafts.put(draft, ctx.now(), [prompt])


def _renew(draft: Draft) -> str:
    draft.data["n"] = secrets.token_hex(3)
    return str(draft.data["n"])


def place_prompt(ctx: GridContext, me: Person) -> Outgoing:
    """Returns the place question with a reply keyboard: share the location, or walk the tree."""
    t = ctx.texts
    markup = {
        "keyboard": [
            [{"text": t("merchant.button_location", me.lang), "request_location": True}],
            [{"text": t("merchant.button_tree", me.lang)}],
        ],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    return outgoing.message(me.user_id, t("merchant.ask_place", me.lang), markup=markup)


async def card(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the registration card for the draft's button step (kind or confirm)."""
    t, lang, data = ctx.texts, me.lang, draft.data
    n = _renew(draft)
    if draft.step == "kind":
        kinds = [
            button(k.en if lang == "en" else k.zh, NOUN, "kind", n, k.code)
            for k in ctx.services.settings.merchants.kinds
        ]
        rows = [kinds[i : i + 3] for i in range(0, len(kinds), 3)]
        return outgoing.card(
            me.user_id, data["card"], t("merchant.ask_kind", lang), markup=buttons.keyboard(rows)
        )
    tree = await ctx.units.tree()
    text = t(
        "merchant.confirm",
        lang,
        name=data["name"],
        kind=kind_name(ctx.services, data["kind"], lang),
        place=tree.place_name(data["unit"]),
        phone=data.get("phone") or "—",
    )
    rows = [
        [button(t("merchant.send", lang), NOUN, "send", n)],
        [button(t("merchant.redo", lang), NOUN, "redo", n)],
    ]
    return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))


async def go(
    ctx: GridContext, me: Person, draft: Draft, step: str, also: list[Outgoing] | None = None
) -> None:
    """Moves the draft to STEP (a button step) and shows it, in one commit."""
    draft = replace(draft, step=step)
    shown = await card(ctx, me, draft)
    await ctx.drafts.put(draft, ctx.now(), [*(also or []), shown])


# Text steps ----------------------------------------------------------------------------------


async def receive_name(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    try:
        draft.data["name"] = domain.clean_name(text_of(message) if message else None)
    except MerchantError as bad:
        await say(ctx, me, bad.key, limit=domain.MAX_NAME)
        return
    await ctx.drafts.put(replace(draft, step="place"), ctx.now(), [place_prompt(ctx, me)])


async def receive_place(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the shop's shared location (the nearest place in a grid), or starts the walk."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    tree = await ctx.units.tree()
    if message.location is not None:
        found = domain.locate(
            tree,
            message.location.latitude,
            message.location.longitude,
            ctx.services.settings.merchants.max_distance_m,
        )
        if found is None:  # the walk stays offered: the place may still be chosen by hand
            await say(
                ctx, me, "merchant.outside", markup=place_prompt(ctx, me).params["reply_markup"]
            )
            return
        await placed(ctx, me, draft, found[0].code, tree)
        return
    if (text_of(message) or "").strip() in ctx.texts.all_values("merchant.button_tree"):
        walk = await picker.begin(ctx, me, draft)
        removed = outgoing.message(
            me.user_id, ctx.texts("merchant.walk_intro", me.lang), markup=outgoing.remove_keyboard()
        )
        await ctx.drafts.put(draft, ctx.now(), [removed, *walk])
        return
    await say(ctx, me, "merchant.use_place_buttons")


async def placed(ctx: GridContext, me: Person, draft: Draft, code: str, tree: UnitTree) -> None:
    draft.data["unit"] = code
    note = outgoing.message(
        me.user_id,
        ctx.texts("merchant.place_set", me.lang, place=tree.place_name(code)),
        markup=outgoing.remove_keyboard(),
    )
    await go(ctx, me, draft, "kind", also=[note])


async def receive_phone(update: Update, ctx: GridContext, draft: Draft) -> None:
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    text = text_of(message)
    if message.contact is not None and message.contact.user_id == me.user_id:
        draft.data["phone"] = message.contact.phone_number
    elif text is not None and text.strip() in ctx.texts.all_values("merchant.skip"):
        draft.data["phone"] = None
    else:
        try:
            draft.data["phone"] = domain.clean_phone(text)
        except MerchantError as bad:
            await say(ctx, me, bad.key)
            return
    removed = outgoing.message(
        me.user_id, ctx.texts("merchant.phone_noted", me.lang), markup=outgoing.remove_keyboard()
    )
    await go(ctx, me, draft, "confirm", also=[removed])


async def receive_text_at_button_step(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "merchant.use_buttons")


# Buttons -------------------------------------------------------------------------------------

_STEPS = {"kind": ("kind",), "send": ("confirm",), "redo": ("confirm",)}


async def on_press(update: Update, ctx: GridContext) -> None:
    """Handles a registration button, if it belongs to the current prompt of the draft's step."""
    found = await press_of(
        update,
        ctx,
        noun=NOUN,
        verbs=_STEPS,
        flow=FLOW,
        nonce=True,
        own_chat=True,
        answer_first=False,
    )
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    if press.verb == "kind":
        code = press.args[1] if len(press.args) > 1 else ""
        if code not in {k.code for k in ctx.services.settings.merchants.kinds}:
            await tell(update, ctx, me, "common.stale_button")
            return
        await answer(update)
        draft.data["kind"] = code
        keyboard = outgoing.reply_keyboard(
            [[ctx.texts("merchant.share_phone", me.lang)], [ctx.texts("merchant.skip", me.lang)]],
            one_time=True,
        )
        keyboard["keyboard"][0][0]["request_contact"] = True
        chosen = outgoing.card(
            me.user_id,
            draft.data["card"],
            ctx.texts("merchant.kind_set", me.lang, kind=kind_name(ctx.services, code, me.lang)),
        )
        prompt = outgoing.message(
            me.user_id, ctx.texts("merchant.ask_phone", me.lang), markup=keyboard
        )
        await ctx.drafts.put(replace(draft, step="phone"), ctx.now(), [chosen, prompt])
        return
    await answer(update)
    if press.verb == "redo":
        await begin(ctx, me)
        return
    done = await register_merchant(
        ctx.services,
        Merchant(
            owner_id=me.user_id,
            name=draft.data["name"],
            kind=draft.data["kind"],
            unit=draft.data["unit"],
            phone=draft.data.get("phone"),
        ),
        by=me.user_id,
        at=ctx.now(),
        card=draft.data["card"],
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("merchant", start, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=buttons.pattern(NOUN)))


STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "name"): receive_name,
    (FLOW, "place"): receive_place,
    (FLOW, picker.STEP): receive_text_at_button_step,
    (FLOW, "kind"): receive_text_at_button_step,
    (FLOW, "phone"): receive_phone,
    (FLOW, "confirm"): receive_text_at_button_step,
}


# The walk (handlers/kit/picker.py): only places in a grid may be chosen ----------------------


async def ask_walk(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
) -> str:
    text = ctx.texts("merchant.walk", me.lang)
    if node is not None:
        text += "\n" + ctx.texts("merchant.walk_at", me.lang, place=tree.place_name(node))
    return text


async def in_grids(ctx: GridContext, me: Person, draft: Draft) -> Callable[[str], bool]:
    tree = await ctx.units.tree()
    return lambda code: domain.in_a_grid(tree, code)


async def walked(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
) -> None:
    tree = await ctx.units.tree()
    if not domain.in_a_grid(tree, code):  # the tree changed under the walk
        await say(ctx, me, "merchant.outside")
        return
    draft.data["card"] = f"mreg:{secrets.token_hex(3)}"  # the walk's card stays as it ended
    draft.data["unit"] = code
    await go(ctx, me, draft, "kind", also=messages)


PLACES: dict[str, Place] = {
    FLOW: Place(
        done=walked,
        ask=ask_walk,
        here="merchant.choose_here",
        up="merchant.go_up",
        choosable=in_grids,
        skip=True,
    )
}
