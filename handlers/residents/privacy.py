"""Privacy: /privacy (the notice), /delete_my_data (and its button under /me), consent to use a
shared location, and staff erasing a 五必访 household with a reason.

Erasure is bot/usecases/privacy.py (one commit: an erased volunteer's claimed wishes and
coming sign-ups are handed on first, then storage/privacy.py erases every table). Its
confirmation is the answer to the press, not an outbox row: a row to the person's chat
would carry the very id just erased.
"""

from __future__ import annotations

import secrets

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import privacy as privacy_rules
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard, parse
from bot.texts import pick_language
from bot.usecases.privacy import erase_household, erase_person, give_consent, household_to_erase
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, StepCallback, person_of, text_of
from handlers.kit.presses import answer
from handlers.kit.reply import say, say_refused
from handlers.residents.place import LOCATION, location_request, pressed
from storage.drafts import Draft

HOUSEHOLD_FLOW = "hherase"


def short_notice(ctx: GridContext, lang: str, *, staff: bool = False) -> str:
    """Returns the few lines /start shows: what is kept, who sees it, how long, how to erase.

    Staff get their own: their record is not theirs to erase, and what they hold is residents'.
    """
    if staff:
        return ctx.texts("privacy.notice_staff", lang)
    p = ctx.services.settings.privacy
    return ctx.texts("privacy.notice_short", lang, raw_days=p.raw_days, case_years=p.case_years)


async def show_notice(update: Update, ctx: GridContext) -> None:
    """/privacy: the full notice."""
    me = await person_of(update, ctx)
    p = ctx.services.settings.privacy
    await say(
        ctx,
        me,
        "privacy.notice",
        raw_days=p.raw_days,
        draft_days=p.draft_days,
        case_years=p.case_years,
        care_note_days=p.care_note_days,
        backup_days=ctx.services.settings.backup.keep,
    )


# Erasure -----------------------------------------------------------------------------------


async def ask_erase(ctx: GridContext, me: Person) -> None:
    """Says what will be erased and asks to confirm (staff are told the office's rules)."""
    if not privacy_rules.may_erase_self(me):
        await say(ctx, me, "privacy.staff")
        return
    held = await ctx.services.privacy.holdings(me.user_id, ctx.now())
    t, lang = ctx.texts, me.lang
    items = [t(key, lang, **params) for key, params in privacy_rules.erase_items(held)]
    # Each question is a card of its own: "keep" closes it, and its buttons act only while
    # its card exists, so a confirm button left from before an erasure (the cards of the
    # chat go with it) cannot erase the person who starts again.
    nonce = secrets.token_hex(3)
    markup = keyboard(
        [
            [button(t("privacy.button_confirm", lang), "privacy", "erase", nonce)],
            [button(t("privacy.button_keep", lang), "privacy", "keep", nonce)],
        ]
    )
    text = t("privacy.ask_erase", lang, items="\n".join(items))
    await ctx.outbox.send(
        [outgoing.card(me.user_id, erase_card(nonce), text, markup=markup)], ctx.now()
    )


def erase_card(nonce: str) -> str:
    return f"erase:{nonce}"


async def delete_my_data(update: Update, ctx: GridContext) -> None:
    """/delete_my_data: what will be erased, and the buttons to confirm or keep."""
    await ask_erase(ctx, await person_of(update, ctx))


async def on_privacy(update: Update, ctx: GridContext) -> None:
    """privacy:ask (under /me) / privacy:erase / privacy:keep — in the presser's own chat."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    # Not person_of: it would create the person again just before erasing them.
    me = await ctx.people.get(user.id)
    lang = me.lang if me is not None and me.lang else pick_language(user.language_code, "zh")
    press = parse(query.data)
    own = query.message is not None and query.message.chat.id == user.id
    if press is None or not own or press.verb not in ("ask", "erase", "keep"):
        await answer(update, ctx.texts("common.not_allowed", lang))
        return
    if press.verb == "ask" or not privacy_rules.may_erase_self(me):
        await answer(update)
        await ask_erase(ctx, me if me is not None and me.lang else await person_of(update, ctx))
        return
    nonce = press.args[0] if press.args else ""
    # With no person left (pressed again after the erasure) erasing once more only wipes the
    # raw updates of these presses; with a person, only the question's own buttons act.
    live = me is None or user.id in await ctx.outbox.card_chats(erase_card(nonce))
    if not live or (me is None and press.verb == "keep"):
        await answer(update, ctx.texts("common.stale_button", lang))
        return
    if press.verb == "keep":
        await answer(update)
        kept = outgoing.card(user.id, erase_card(nonce), ctx.texts("privacy.kept", lang))
        await ctx.outbox.send([kept], ctx.now())
        return
    erased = await erase_person(ctx.services, user.id, at=ctx.now())
    if isinstance(erased, Refused):  # became staff meanwhile
        await answer(update, ctx.texts(erased.key, lang))
        return
    await answer(update, ctx.texts("privacy.erased", lang), alert=True)


# Location consent --------------------------------------------------------------------------


async def on_consent(update: Update, ctx: GridContext) -> None:
    """consent:yes|no:<nonce> — consent to use a shared location, asked once, recorded with
    its time; only on the prompt of the walk that asked."""
    found = await pressed(update, ctx, ("walk", "locate", "place"))
    if found is None:
        return
    me, draft, press = found
    await answer(update)
    if press.verb == "yes":
        prompt = location_request(ctx, me, draft)
        given = await give_consent(
            ctx.services, me.user_id, LOCATION, at=ctx.now(), draft=draft, messages=[prompt]
        )
        if isinstance(given, Refused):
            await say_refused(ctx, me, given)
    else:
        await say(ctx, me, "privacy.location_declined")


# Households (staff) ------------------------------------------------------------------------


async def on_household(update: Update, ctx: GridContext) -> None:
    """hherase:ask:<id> — the button on the household card: asks for the reason."""
    assert update.callback_query is not None
    await answer(update)
    me, press = await person_of(update, ctx), parse(update.callback_query.data)
    target = press.int_arg(0) if press is not None and press.verb == "ask" else None
    found = await household_to_erase(ctx.services, target, by=me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    household_id = found.value
    prompt = outgoing.message(
        me.user_id, ctx.texts("privacy.household_ask_reason", me.lang, id=household_id)
    )
    draft = Draft(me.user_id, HOUSEHOLD_FLOW, "reason", {"household": household_id})
    await ctx.drafts.put(draft, ctx.now(), [prompt])


async def receive_reason(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Erases the household with the typed reason (re-authorised: staff may have changed)."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    erased = await erase_household(
        ctx.services,
        draft.data.get("household"),
        by=me.user_id,
        at=ctx.now(),
        reason=text_of(message) or "",
    )
    if isinstance(erased, Refused):
        # A short reason may be typed again; anything else ends the question.
        short = erased.key == "privacy.household_reason_short"
        await say_refused(ctx, me, erased, end_flow=not short)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("privacy", show_notice, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("delete_my_data", delete_my_data, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_privacy, pattern=r"^privacy:"))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=r"^consent:"))
    app.add_handler(CallbackQueryHandler(on_household, pattern=r"^hherase:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (HOUSEHOLD_FLOW, "reason"): receive_reason,
}
