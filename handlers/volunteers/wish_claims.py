"""A wish from claim to close: view, claim (first press wins), done with proof, confirm, thank.

Callbacks "wish:<verb>:<id>"; each press is re-authorised against the database by a rule of
bot/domain/access.py: only a volunteer the wish was offered to (or one the matching would pick)
views and claims, only the claimer finishes or releases, only the resident (or the staff member
who posted) confirms and thanks. A refused press is answered, recorded, and changes nothing.
The moves themselves are use cases (bot/usecases/wishes.py); this module parses and renders.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.people import Person
from bot.domain.wishes import Wish, WishStatus
from bot.notices import outgoing
from bot.notices.wishes import offer_card
from bot.usecases.results import Done, Refused
from bot.usecases.wishes import (
    claim_wish,
    confirm_wish,
    finish_wish,
    redo_wish,
    release_wish,
    thank_wish,
    view_wish,
)
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.presses import answer, press_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say_refused, tell
from handlers.volunteers.common import render
from storage.drafts import Draft

DONE_FLOW = "wish_done"
THANK_FLOW = "wish_thanks"
VERBS = ("view", "claim", "release", "done", "confirm", "redo", "thank")
# Said in the chat, as before the use cases: the press was answered before the race was lost.
IN_CHAT = ("wish.taken_meanwhile", "wish.changed_meanwhile")


async def on_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun="wish", verbs=VERBS, answer_first=False)
    if found is None:
        return
    me, press, _ = found
    wish_id = press.int_arg(0)
    wish = await ctx.services.store.wishes.get(wish_id) if wish_id is not None else None
    if wish is None:
        await tell(update, ctx, me, "common.stale_button")
        return
    await ACTIONS[press.verb](update, ctx, me, wish)


def target(wish: Wish) -> str:
    return f"wish:{wish.id}"


async def view(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Sends an eligible volunteer the wish privately (pressed under a group announcement)."""
    assert wish.id is not None  # loaded from the store
    result = await view_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    if isinstance(result, Refused):
        await tell(update, ctx, me, result.key, **result.params)
        return
    await answer(update, ctx.texts("wish.sent_privately", me.lang))
    tree = await ctx.units.tree()
    card = offer_card(ctx.services, result.value, me.user_id, me.lang, tree)
    await ctx.outbox.send([card], ctx.now())


async def claim(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Claims the wish if it is still open; of two presses at once exactly one wins."""
    assert wish.id is not None  # loaded from the store
    result = await claim_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result, in_chat=IN_CHAT)


async def release(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Gives the wish back: it is open again and offered anew (bot/usecases/wishes.py)."""
    assert wish.id is not None  # loaded from the store
    result = await release_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result, in_chat=IN_CHAT)


async def start_done(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Asks the claimer for the proof photo."""
    if (refused := access.act_as_claimer(me.user_id, wish)) is not None:
        await deny(update, ctx, me, refused, target(wish))
        return
    if wish.status is not WishStatus.CLAIMED:
        await tell(update, ctx, me, "common.stale_button")
        return
    await answer(update)
    prompt = outgoing.message(me.user_id, ctx.texts("wish.ask_proof", me.lang, number=wish.number))
    await ctx.drafts.put(
        Draft(me.user_id, DONE_FLOW, "photo", {"wish": wish.id}), ctx.now(), [prompt]
    )


async def receive_proof(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Marks the wish done with the proof photo (required) and asks the resident to confirm."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    photo = await photo_in(ctx, me, message)
    if photo is None and offers_photo(message):  # an unusable image file; already said why
        return
    note = (message.caption or "").strip()[:300] or None
    wish_id = int(draft.data.get("wish", 0))
    result = await finish_wish(
        ctx.services, wish_id, by=me.user_id, at=ctx.now(), photo=photo, note=note
    )
    await ended(ctx, me, result, keep_flow=("wish.proof_photo_needed",))


async def confirm(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Closes the wish and awards the claimer's points, in one commit (bot/usecases/wishes.py)."""
    assert wish.id is not None  # loaded from the store
    result = await confirm_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result)


async def redo(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """The resident says it is not done yet: back to the claimer."""
    assert wish.id is not None  # loaded from the store
    result = await redo_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result, in_chat=IN_CHAT)


async def start_thanks(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    if (refused := access.act_as_confirmer(me.user_id, wish)) is not None:
        await deny(update, ctx, me, refused, target(wish))
        return
    if wish.status is not WishStatus.CLOSED or wish.thanks:
        await tell(update, ctx, me, "common.stale_button")
        return
    await answer(update)
    prompt = outgoing.message(me.user_id, ctx.texts("wish.ask_thanks", me.lang))
    await ctx.drafts.put(
        Draft(me.user_id, THANK_FLOW, "text", {"wish": wish.id}), ctx.now(), [prompt]
    )


async def receive_thanks(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    if message is None:
        return
    wish_id = int(draft.data.get("wish", 0))
    result = await thank_wish(ctx.services, wish_id, by=me.user_id, at=ctx.now(), text=message.text)
    await ended(ctx, me, result, keep_flow=("wish.bad_thanks",))


async def ended(
    ctx: GridContext, me: Person, result: Done[Wish] | Refused, *, keep_flow: tuple[str, ...]
) -> None:
    """Renders the end of a step's use case: a refusal in KEEP_FLOW is said and the step
    waits for a better answer; any other ends the flow with why (the use case already ended
    it when done)."""
    if isinstance(result, Done):
        return
    await say_refused(ctx, me, result, end_flow=result.key not in keep_flow)


ACTIONS = {
    "view": view,
    "claim": claim,
    "release": release,
    "done": start_done,
    "confirm": confirm,
    "redo": redo,
    "thank": start_thanks,
}


def register(app: Application) -> None:
    app.add_handler(
        CallbackQueryHandler(
            on_press, pattern=r"^wish:(view|claim|release|done|confirm|redo|thank):"
        )
    )


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (DONE_FLOW, "photo"): receive_proof,
    (THANK_FLOW, "text"): receive_thanks,
}
