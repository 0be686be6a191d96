"""A wish from claim to close: view, claim (first press wins), done with proof, confirm, thank.

Callbacks "wish:<verb>:<id>"; each press is re-authorised against the database by a rule of
bot/domain/access.py: only a volunteer the wish was offered to (or one the matching would pick)
views and claims, only the claimer finishes or releases, only the resident (or the staff member
who posted) confirms and thanks. A refused press is answered, recorded, and changes nothing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain import wishes as domain
from bot.domain.people import Person
from bot.domain.volunteers import InvalidInput, InvalidMove, NotAllowed
from bot.domain.wishes import Wish, WishStatus
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import lang_of
from bot.notices.wishes import (
    claim_card,
    offer_card,
    offer_key,
)
from bot.usecases.results import Done
from bot.usecases.wishes import claim_wish, confirm_wish, policy, release_wish
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.refusals import deny
from handlers.kit.reply import say
from handlers.volunteers.common import answer, parse_press, refuse
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.wishes import StaleWish

DONE_FLOW = "wish_done"
THANK_FLOW = "wish_thanks"


async def load(update: Update, ctx: GridContext) -> tuple[Person, str, Wish | None]:
    me = await person_of(update, ctx)
    press = parse_press(update)
    wish_id = press.int_arg(0) if press else None
    wish = await ctx.services.store.wishes.get(wish_id) if wish_id is not None else None
    return me, press.verb if press else "", wish


async def on_press(update: Update, ctx: GridContext) -> None:
    me, verb, wish = await load(update, ctx)
    handler = ACTIONS.get(verb)
    if wish is None or handler is None:
        await refuse(update, ctx, me, "common.stale_button")
        return
    await handler(update, ctx, me, wish)


def target(wish: Wish) -> str:
    return f"wish:{wish.id}"


async def may_claim(update: Update, ctx: GridContext, me: Person, wish: Wish) -> bool:
    """Tells whether ME may view and claim WISH (access.claim_wish); else refuses the press."""
    volunteer = await ctx.services.store.volunteers.get(me.user_id)
    offered = me.user_id in await ctx.outbox.card_chats(offer_key(wish))
    refused = access.claim_wish(
        volunteer,
        wish,
        await ctx.units.tree(),
        offered=offered,
        levels_up=ctx.services.settings.volunteers.match_levels_up,
    )
    if refused is None:
        return True
    approved = volunteer is not None and volunteer.is_approved
    key = "audit.wish_not_offered" if approved else "wish.volunteers_only"
    await deny(update, ctx, me, refused, target(wish), key)
    return False


async def view(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Sends an eligible volunteer the wish privately (pressed under a group announcement)."""
    if not await may_claim(update, ctx, me, wish):
        return
    if wish.status is not WishStatus.OPEN:
        await refuse(update, ctx, me, "wish.taken")
        return
    await answer(update, ctx.texts("wish.sent_privately", me.lang))
    tree = await ctx.units.tree()
    await ctx.outbox.send([offer_card(ctx.services, wish, me.user_id, me.lang, tree)], ctx.now())


async def claim(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Claims the wish if it is still open; of two presses at once exactly one wins."""
    assert wish.id is not None  # loaded from the store
    result = await claim_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    if isinstance(result, Done):
        await answer(update)
    elif result.key == "wish.taken_meanwhile":  # lost the race: said in the chat, as before
        await answer(update)
        await say(ctx, me, result.key, number=wish.number)
    else:
        await refuse(update, ctx, me, result.key, **result.params)


async def release(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Gives the wish back: it is open again and offered anew (bot/usecases/wishes.py)."""
    assert wish.id is not None  # loaded from the store
    result = await release_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    if isinstance(result, Done):
        await answer(update)
    elif result.key == "wish.changed_meanwhile":  # said in the chat, as before
        await answer(update)
        await say(ctx, me, result.key, number=wish.number)
    else:
        await refuse(update, ctx, me, result.key, **result.params)


async def start_done(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Asks the claimer for the proof photo."""
    if (refused := access.act_as_claimer(me.user_id, wish)) is not None:
        await deny(update, ctx, me, refused, target(wish))
        return
    if wish.status is not WishStatus.CLAIMED:
        await refuse(update, ctx, me, "common.stale_button")
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
    wish = await ctx.services.store.wishes.get(int(draft.data.get("wish", 0)))
    if wish is None:
        await ctx.drafts.clear(me.user_id, ctx.now())
        return
    photo = await photo_in(ctx, me, message)
    if photo is None and offers_photo(message):  # an unusable image file; already said why
        return
    note = (message.caption or "").strip()[:300] or None
    try:
        after, event = domain.finish(wish, me.user_id, photo, note, ctx.now())
    except InvalidInput as bad:
        await say(ctx, me, bad.key)
        return
    except (NotAllowed, InvalidMove):
        await ctx.drafts.clear(
            me.user_id,
            ctx.now(),
            [outgoing.message(me.user_id, ctx.texts("common.stale_button", me.lang))],
        )
        return
    tree = await ctx.units.tree()
    lang = (await lang_of(ctx.services, [wish.confirmer]))[wish.confirmer]
    caption = ctx.texts("wish.done_notice", lang, number=wish.number, note=note or "")
    markup = buttons.keyboard(
        [
            [
                button(ctx.texts("wish.confirm_done", lang), "wish", "confirm", wish.id),
                button(ctx.texts("wish.not_done", lang), "wish", "redo", wish.id),
            ]
        ]
    )
    assert photo is not None
    messages = [
        claim_card(ctx.services, after, me.lang, tree),
        outgoing.message(me.user_id, ctx.texts("wish.proof_sent", me.lang, number=wish.number)),
        outgoing.photo(wish.confirmer, photo, caption, markup=markup),
    ]
    await save(ctx, me, wish, after, event, messages, end_flow=True)


async def confirm(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """Closes the wish and awards the claimer's points, in one commit (bot/usecases/wishes.py)."""
    assert wish.id is not None  # loaded from the store
    result = await confirm_wish(ctx.services, wish.id, by=me.user_id, at=ctx.now())
    if isinstance(result, Done):
        await answer(update)
    else:
        await refuse(update, ctx, me, result.key, **result.params)


async def redo(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    """The resident says it is not done yet: back to the claimer."""
    if (refused := access.act_as_confirmer(me.user_id, wish)) is not None:
        await deny(update, ctx, me, refused, target(wish))
        return
    try:
        after, event = domain.redo(wish, me.user_id, ctx.now(), policy(ctx.services))
    except NotAllowed:
        await refuse(update, ctx, me, "common.not_allowed")
        return
    except InvalidMove:
        await refuse(update, ctx, me, "wish.already_closed")
        return
    await answer(update)
    assert wish.claimer_id is not None
    lang = (await lang_of(ctx.services, [wish.claimer_id]))[wish.claimer_id]
    tree = await ctx.units.tree()
    messages = [
        outgoing.message(me.user_id, ctx.texts("wish.redo_sent", me.lang, number=wish.number)),
        outgoing.message(wish.claimer_id, ctx.texts("wish.redo_notice", lang, number=wish.number)),
        claim_card(ctx.services, after, lang, tree),
    ]
    await save(ctx, me, wish, after, event, messages)


async def start_thanks(update: Update, ctx: GridContext, me: Person, wish: Wish) -> None:
    if (refused := access.act_as_confirmer(me.user_id, wish)) is not None:
        await deny(update, ctx, me, refused, target(wish))
        return
    if wish.status is not WishStatus.CLOSED or wish.thanks:
        await refuse(update, ctx, me, "common.stale_button")
        return
    await answer(update)
    prompt = outgoing.message(me.user_id, ctx.texts("wish.ask_thanks", me.lang))
    await ctx.drafts.put(
        Draft(me.user_id, THANK_FLOW, "text", {"wish": wish.id}), ctx.now(), [prompt]
    )


async def receive_thanks(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    wish = await ctx.services.store.wishes.get(int(draft.data.get("wish", 0)))
    if wish is None or message is None:
        await ctx.drafts.clear(me.user_id, ctx.now())
        return
    try:
        after, event = domain.thank(wish, me.user_id, message.text or "", ctx.now())
    except InvalidInput as bad:
        await say(ctx, me, bad.key, limit=domain.MAX_THANKS)
        return
    except (NotAllowed, InvalidMove):
        await ctx.drafts.clear(
            me.user_id,
            ctx.now(),
            [outgoing.message(me.user_id, ctx.texts("common.stale_button", me.lang))],
        )
        return
    assert wish.claimer_id is not None
    lang = (await lang_of(ctx.services, [wish.claimer_id]))[wish.claimer_id]
    messages = [
        outgoing.message(me.user_id, ctx.texts("wish.thanks_sent", me.lang)),
        outgoing.message(
            wish.claimer_id,
            ctx.texts("wish.thanks_notice", lang, number=wish.number, text=after.thanks or ""),
        ),
    ]
    await save(ctx, me, wish, after, event, messages, end_flow=True)


async def save(
    ctx: GridContext,
    me: Person,
    before: Wish,
    after: Wish,
    event: domain.WishEvent,
    messages: list[Outgoing],
    *,
    end_flow: bool = False,
) -> None:
    try:
        await ctx.services.store.wishes.save(
            after,
            event,
            messages,
            expect_version=before.version,
            clear_draft_of=me.user_id if end_flow else None,
        )
    except StaleWish:
        await say(ctx, me, "wish.changed_meanwhile", number=before.number)


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
